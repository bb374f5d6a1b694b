package soa

import (
	"strings"
	"unicode/utf8"
)

// MaxKubernetesName is the longest name Kubernetes accepts for the objects
// PaaSTA names after services and instances.
const MaxKubernetesName = 63

// SanitiseKubernetesName is PaaSTA's sanitise_kubernetes_name: "_" becomes
// "--", a leading "--" becomes "underscore-", and the result is lower-case.
func SanitiseKubernetesName(name string) string {
	out := strings.ReplaceAll(name, "_", "--")
	if strings.HasPrefix(out, "--") {
		out = "underscore-" + out[2:]
	}
	return strings.ToLower(out)
}

// KubernetesNameLen is the length PaaSTA compares with MaxKubernetesName:
// characters (not bytes) of the sanitised name.
func KubernetesNameLen(name string) int {
	return utf8.RuneCountInString(SanitiseKubernetesName(name))
}
