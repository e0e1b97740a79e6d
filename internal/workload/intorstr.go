package workload

import "k8s.io/apimachinery/pkg/util/intstr"

func intOrStringName(name string) intstr.IntOrString { return intstr.FromString(name) }
