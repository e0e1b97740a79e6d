package gitops

import (
	"fmt"
	"reflect"

	lua "github.com/yuin/gopher-lua"
)

// healthStatus is Argo CD's HealthStatus as a health check returns it.
type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// runHealthLua runs a health.lua the way Argo CD does (util/lua): a fresh VM
// with only the package, base and table libraries open (Argo CD adds a
// restricted os, which these scripts do not use; string and math are not
// available unless useOpenLibs is set, so a script that needs them fails
// here as it would in Argo CD), the object in the global obj, and the
// script's returned table read back as {status, message}.
func runHealthLua(script string, obj map[string]any) (healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return healthStatus{}, err
		}
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return healthStatus{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return healthStatus{}, fmt.Errorf("health check returned %s, want a table", l.Get(-1).Type())
	}
	var hs healthStatus
	for field, dst := range map[string]*string{"status": &hs.Status, "message": &hs.Message} {
		switch v := ret.RawGetString(field).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			return healthStatus{}, fmt.Errorf("health check returned %s of type %s, want a string", field, v.Type())
		}
	}
	return hs, nil
}

// toLua converts decoded JSON/YAML (what Argo CD passes) into Lua values:
// objects become tables with string keys, arrays 1-based tables.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for i, e := range v {
			t.RawSetInt(i+1, toLua(l, e))
		}
		return t
	}
	// Numbers: int64 from the unstructured converter, float64 from YAML.
	switch n := reflect.ValueOf(v); {
	case n.CanInt():
		return lua.LNumber(n.Int())
	case n.CanFloat():
		return lua.LNumber(n.Float())
	}
	panic(fmt.Sprintf("toLua: unsupported %T", v))
}
