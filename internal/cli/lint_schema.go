package cli

import (
	"context"
	"fmt"
	"io/fs"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/config/crd"
)

// crdSchema is one served version of a CRD, prepared the way the API server
// prepares it: a structural schema (defaulting, pruning, list types), the
// OpenAPI validator, and the compiled x-kubernetes-validations rules.
type crdSchema struct {
	structural *structuralschema.Structural
	openapi    apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// schemaSet maps "apiVersion/kind" (e.g. retention.dev/v1alpha1/Playbook)
// to its schema.
type schemaSet map[string]*crdSchema

// loadSchemas reads the embedded CRDs (config/crd/bases).
func loadSchemas() (schemaSet, error) {
	set := schemaSet{}
	files, err := fs.Glob(crd.Bases, "bases/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		raw, err := fs.ReadFile(crd.Bases, f)
		if err != nil {
			return nil, err
		}
		var def apiextensionsv1.CustomResourceDefinition
		if err := sigsyaml.UnmarshalStrict(raw, &def); err != nil {
			return nil, fmt.Errorf("embedded CRD %s: %v", f, err)
		}
		for _, v := range def.Spec.Versions {
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			var internal apiextensions.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s: %v", f, v.Name, err)
			}
			s, err := structuralschema.NewStructural(&internal)
			if err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s is not structural: %v", f, v.Name, err)
			}
			openapi, _, err := apiservervalidation.NewSchemaValidator(&internal)
			if err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s: %v", f, v.Name, err)
			}
			key := def.Spec.Group + "/" + v.Name + "/" + def.Spec.Names.Kind
			set[key] = &crdSchema{structural: s, openapi: openapi,
				cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
		}
	}
	return set, nil
}

// validate runs, in the API server's order, defaulting, unknown-field
// detection (the server prunes them; kubectl's strict field validation turns
// them into errors), the OpenAPI schema, list-map/set uniqueness, and the CEL
// rules. As on the server, CEL rules are skipped while errors that make them
// meaningless (type, required, enum, length, count) are present.
func (c *crdSchema) validate(ctx context.Context, obj map[string]any) field.ErrorList {
	// Work on a copy: defaulting and pruning mutate the object.
	work := deepCopyJSON(obj)
	structuraldefaulting.Default(work, c.structural)
	var errs field.ErrorList
	unknown := pruning.PruneWithOptions(work, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field (not in the CRD schema; the API server would drop it)"))
	}
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, work, c.openapi)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, c.structural, work)...)
	if !hasBlockingErr(errs) {
		celErrs, _ := c.cel.Validate(ctx, nil, c.structural, work, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

// hasBlockingErr mirrors the API server's rule for skipping CEL validation.
func hasBlockingErr(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// deepCopyJSON copies a JSON-shaped value.
func deepCopyJSON(obj map[string]any) map[string]any {
	return copyJSONValue(obj).(map[string]any)
}

func copyJSONValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = copyJSONValue(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyJSONValue(e)
		}
		return out
	}
	return v
}
