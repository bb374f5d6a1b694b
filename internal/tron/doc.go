// Package tron decides which Tron job settings Tron's own configuration
// check (tronfig, which paasta validate runs on every tron-<cluster>.yaml)
// accepts: schedules, time deltas, time zones, names and the graph of an
// action's requires.
//
// The grammars are written from Tron's documented behaviour (v3.10.5),
// including where it is looser or stricter than its documentation says;
// each function's comment spells out the accepted form. Text is matched as
// Python matches it: whitespace is Python's (str.isspace), digits are any
// Unicode decimal digit, and only ASCII letters are folded to lower case.
package tron
