// Package archtest holds no code: its tests keep the package graph in the
// shape README's "Layout" section describes (leaves import no other part,
// no two parts import each other, directly or through others).
package archtest
