package soa

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PyYAML's implicit resolvers (YAML 1.1), which is what PaaSTA's
// yaml.safe_load applies to plain scalars. They differ from YAML 1.2 (and
// from yaml.v3's own resolution): yes/no/on/off are booleans, a float
// needs a dot, 0755 is octal, 1:30 is sexagesimal, dates are timestamps
// (a bare date only with a two-digit month and day: 2024-1-5 is a string).
var (
	reBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

func (c *converter) scalar(y *yaml.Node) (*Node, error) {
	n := &Node{Line: y.Line, Column: y.Column, Text: y.Value, Comment: y.LineComment, size: 1}
	tag := ""
	switch {
	case y.Style&yaml.TaggedStyle != 0:
		tag = y.Tag
	case y.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		tag = "!!str"
	default:
		tag = implicitTag(y.Value)
	}
	n.Tag = tag
	v := y.Value
	switch tag {
	case "!!str":
		n.Kind = KindString
	case "!!null":
		n.Kind, n.Text = KindNull, "null"
	case "!!bool":
		b, ok := pyBool(v)
		if !ok {
			return nil, c.fail(y, "%q is not a boolean", v)
		}
		n.Kind, n.Bool = KindBool, b
		n.Text = strconv.FormatBool(b)
	case "!!int":
		i, ok := pyInt(v)
		if !ok {
			return nil, c.fail(y, "%q is not an integer", v)
		}
		n.Kind, n.Int = KindInt, i
		n.Text = i.String()
	case "!!float":
		f, ok := pyFloat(v)
		if !ok {
			return nil, c.fail(y, "%q is not a float", v)
		}
		n.Kind, n.Float = KindFloat, f
	case "!!timestamp", "!!binary":
		if tag == "!!timestamp" && !reTime.MatchString(v) {
			return nil, c.fail(y, "%q is not a timestamp", v)
		}
		n.Kind = KindOther
	case "!!merge":
		return nil, c.fail(y, "a merge key (<<) is only allowed as a mapping key")
	default:
		return nil, c.fail(y, "could not determine a constructor for the tag %q", tag)
	}
	return n, nil
}

func implicitTag(v string) string {
	if v == "" {
		return "!!null"
	}
	switch c := v[0]; {
	case c == '~' || c == 'n' || c == 'N':
		if reNull.MatchString(v) {
			return "!!null"
		}
		if reBool.MatchString(v) {
			return "!!bool"
		}
	case c == 'y' || c == 'Y' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O':
		if reBool.MatchString(v) {
			return "!!bool"
		}
	case c == '<':
		if v == "<<" {
			return "!!merge"
		}
	case c == '=':
		if v == "=" {
			return "!!value" // PyYAML's SafeLoader cannot construct it
		}
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		switch {
		case reInt.MatchString(v):
			return "!!int"
		case reFloat.MatchString(v):
			return "!!float"
		case reTime.MatchString(v):
			return "!!timestamp"
		}
	}
	return "!!str"
}

func pyBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true, true
	case "no", "false", "off":
		return false, true
	}
	return false, false
}

// pyInt follows PyYAML's construct_yaml_int.
func pyInt(v string) (*big.Int, bool) {
	v = strings.ReplaceAll(v, "_", "")
	sign := 1
	if strings.HasPrefix(v, "-") {
		sign = -1
	}
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	var i *big.Int
	ok := true
	switch {
	case v == "0":
		i = big.NewInt(0)
	case strings.HasPrefix(v, "0b"):
		i, ok = new(big.Int).SetString(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		i, ok = new(big.Int).SetString(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		i, ok = new(big.Int).SetString(v[1:], 8)
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		ds := make([]int64, len(parts))
		for k, part := range parts {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, false
			}
			ds[k] = d
		}
		i = placeValue(ds, 60)
	default:
		// Decimal in chunks of 18 digits (base 10^18), the first chunk
		// taking the remainder: big.Int's SetString is quadratic in the
		// number of digits.
		const chunk = 18
		if v == "" || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return nil, false
		}
		ds := make([]int64, 0, len(v)/chunk+1)
		for start, end := 0, (len(v)-1)%chunk+1; start < len(v); start, end = end, end+chunk {
			d, _ := strconv.ParseInt(v[start:end], 10, 64) // digits only, at most 18
			ds = append(ds, d)
		}
		i = placeValue(ds, 1e18)
	}
	if !ok || i == nil {
		return nil, false
	}
	if sign < 0 {
		i.Neg(i)
	}
	return i, true
}

// placeValue returns the number whose digits in base, most significant
// first, are ds. It splits ds in halves and joins them with one big
// multiplication each, so the work is that of a few large (Karatsuba)
// multiplications: one multiplication per digit (Horner's rule) is
// quadratic, minutes for the digits of one 4 MiB scalar.
func placeValue(ds []int64, base int64) *big.Int {
	pows := map[int]*big.Int{} // base^n, for the few n the halving meets
	var rec func(ds []int64) *big.Int
	rec = func(ds []int64) *big.Int {
		if len(ds) <= 16 {
			i, b := new(big.Int), big.NewInt(base)
			for _, d := range ds {
				i.Mul(i, b).Add(i, big.NewInt(d))
			}
			return i
		}
		mid := len(ds) / 2
		n := len(ds) - mid
		pow, ok := pows[n]
		if !ok {
			pow = new(big.Int).Exp(big.NewInt(base), big.NewInt(int64(n)), nil)
			pows[n] = pow
		}
		hi := rec(ds[:mid])
		return hi.Mul(hi, pow).Add(hi, rec(ds[mid:]))
	}
	return rec(ds)
}

// pyFloat follows PyYAML's construct_yaml_float.
func pyFloat(v string) (float64, bool) {
	v = strings.ToLower(strings.ReplaceAll(v, "_", ""))
	sign := 1.0
	if strings.HasPrefix(v, "-") {
		sign = -1
	}
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1), true
	case v == ".nan":
		return math.NaN(), true
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		f, base := 0.0, 1.0
		for j := len(parts) - 1; j >= 0; j-- {
			d, err := strconv.ParseFloat(parts[j], 64)
			if err != nil {
				return 0, false
			}
			f += d * base
			base *= 60
		}
		return sign * f, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return sign * f, true // Python's float() overflows to inf too
		}
		return 0, false
	}
	return sign * f, true
}
