package soa

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Mutation generator for the differential test: realistic base documents
// of every schema type, each mutated many times (wrong types, unknown keys,
// bad enum values, out-of-range numbers, YAML 1.1 scalars, renamed and
// deleted keys). Documents are written in YAML flow style so that every
// scalar's exact text, and so its YAML 1.1 type, is under our control.

var mutationBases = map[string]string{
	"kubernetes": `
_template: {cpus: 0.5, env: {LOG_LEVEL: info}}
main:
  cpus: 1.5
  mem: 1024
  disk: 2048
  instances: 3
  cmd: "python -m web --port 8888"
  healthcheck_mode: http
  healthcheck_uri: /status
  registrations: [web.main]
  deploy_group: prod.everything
  env: {FOO: bar, SPAM_1: eggs}
  bounce_method: crossover
  drain_method: hacheck
  container_port: 8888
  autoscaling:
    metrics_providers:
      - {type: cpu, setpoint: 0.7, decision_policy: proportional}
  min_instances: 2
  max_instances: 10
  node_selectors: {yelp.com/pool: default}
  cpu_burst_add: 1
  bounce_margin_factor: 0.5
canary:
  cpus: 0.25
  instances: 1
  healthcheck_mode: cmd
  healthcheck_cmd: /bin/true
  deploy_group: canary
  iam_role: "arn:aws:iam::123456789012:role/web"
  namespace: paastasvc-web
`,
	"eks": `
main:
  cpus: 1
  mem: 512
  instances: 2
  cost_owner: team-web
  registrations: [web.main]
  healthcheck_mode: tcp
  lifecycle: {termination_grace_period_seconds: 30}
worker:
  cpus: 0.1
  mem: 128
  cmd: ./worker.sh
  drain_method: http
  drain_method_params: {drain: {}, stop_draining: {}, is_draining: {}, is_safe_to_kill: {}}
`,
	"adhoc": `
interactive:
  cpus: 1
  mem: 1024
  cmd: bash
  env: {A: b}
  deploy_group: dev.everything
`,
	"tron": `
_defaults: {node: paasta}
nightly:
  schedule: "cron 0 3 * * *"
  node: paasta
  max_runtime: 4h
  monitoring: {team: web, page: false, alert_after: 2h}
  actions:
    build:
      command: "python -m nightly build"
      cpus: 0.5
      mem: 512
      retries: 2
      deploy_group: prod.everything
      executor: paasta
    report:
      command: "python -m nightly report"
      requires: [build]
weekly:
  schedule: {type: cron, value: "0 4 * * 0"}
  actions:
    - {name: run, command: "./weekly.sh", executor: ssh}
`,
	"smartstack": `
main:
  proxy_port: 20001
  mode: http
  healthcheck_uri: /status
  timeout_server_ms: 3000
  timeout_connect_ms: 200
  retries: 2
  advertise: [region]
  discover: region
  balance: leastconn
admin:
  proxy_port: null
  mode: tcp
`,
	"service": `
description: "The web frontend"
external_link: "https://example.com/web"
git_url: "git@github.yelpcorp.com:services/web"
cost_owner: team-web
needs_puppet_help: false
`,
	"rollback": `
conditions:
  prometheus:
    - {query: "sum(rate(errors[5m]))", upper_bound: 10, dry_run: false}
  splunk:
    - {query: "index=web error", query_type: results, lower_bound: 0.5}
rollback_window_s: 600
check_interval_s: 30
enable_slo_rollback: true
allowed_failing_queries: 1
`,
	"autotuned_defaults/kubernetes": `
main: {cpus: 0.8, mem: 900, disk: 1024, min_instances: 2, max_instances: 8}
canary: {cpus: 0.2, sidecar_resource_requirements: {hacheck: {requests: {cpu: 0.1, memory: 64Mi}}}}
`,
	"autotuned_defaults/cassandracluster": `
main: {cpus: 2, cpu_burst_percent: 50, disk: 100Gi, mem: 8Gi, replicas: 3}
`,
	"deploy": `
pipeline:
  - {step: itest}
  - {step: security-check}
  - {step: push-to-registry}
  - {step: dev.everything, trigger_next_step_manually: true}
  - parallel:
      - {step: norcal-prod.main, wait_for_deployment: true}
      - {step: nova-prod.main, timeout: 3600}
  - {step: prod.everything, alertmanager_poll_interval_s: 60, crashloop_rollback_percentage_threshold: 0.5}
slack_channels: ["#web"]
production_deploy_group: prod.everything
default_deploy_strategy: verify
`,
}

// enumKeys are keys whose schemas restrict values to a list.
var enumKeys = map[string][]string{
	"healthcheck_mode":        {"cmd", "tcp", "http", "https", "http2"},
	"bounce_method":           {"crossover", "brutal", "downthenup"},
	"drain_method":            {"noop", "hacheck", "http", "test"},
	"executor":                {"ssh", "paasta", "spark"},
	"mode":                    {"http", "https", "http2", "tcp"},
	"type":                    {"cpu", "uwsgi", "memory", "arbitrary-promql", "cron"},
	"query_type":              {"number", "results"},
	"default_deploy_strategy": {"verify", "no-verify"},
	"balance":                 {"leastconn", "roundrobin", "random"},
}

// mv is a mutable YAML value; scalars keep their exact source text.
type mv struct {
	keys  []string // quoted
	vals  []*mv
	items []*mv
	isMap bool
	isSeq bool
	raw   string
}

func toMV(n *yaml.Node) *mv {
	switch n.Kind {
	case yaml.DocumentNode:
		return toMV(n.Content[0])
	case yaml.AliasNode:
		return toMV(n.Alias)
	case yaml.MappingNode:
		m := &mv{isMap: true}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m.keys = append(m.keys, strconv.Quote(n.Content[i].Value))
			m.vals = append(m.vals, toMV(n.Content[i+1]))
		}
		return m
	case yaml.SequenceNode:
		s := &mv{isSeq: true}
		for _, c := range n.Content {
			s.items = append(s.items, toMV(c))
		}
		return s
	default:
		if n.Style == 0 && implicitTag(n.Value) != "!!str" {
			return &mv{raw: n.Value}
		}
		return &mv{raw: strconv.Quote(n.Value)}
	}
}

func (m *mv) clone() *mv {
	c := &mv{isMap: m.isMap, isSeq: m.isSeq, raw: m.raw, keys: append([]string(nil), m.keys...)}
	for _, v := range m.vals {
		c.vals = append(c.vals, v.clone())
	}
	for _, v := range m.items {
		c.items = append(c.items, v.clone())
	}
	return c
}

func (m *mv) emit(b *strings.Builder) {
	switch {
	case m.isMap:
		b.WriteString("{")
		for i, k := range m.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteString(": ")
			m.vals[i].emit(b)
		}
		b.WriteString("}")
	case m.isSeq:
		b.WriteString("[")
		for i, v := range m.items {
			if i > 0 {
				b.WriteString(", ")
			}
			v.emit(b)
		}
		b.WriteString("]")
	default:
		b.WriteString(m.raw)
	}
}

// slot is a place in a document: the value at parent.keys[i] or
// parent.items[i].
type slot struct {
	parent *mv
	i      int
}

func (s slot) get() *mv {
	if s.parent.isMap {
		return s.parent.vals[s.i]
	}
	return s.parent.items[s.i]
}

func (s slot) set(v *mv) {
	if s.parent.isMap {
		s.parent.vals[s.i] = v
	} else {
		s.parent.items[s.i] = v
	}
}

func (s slot) key() string {
	if s.parent.isMap {
		k, _ := strconv.Unquote(s.parent.keys[s.i])
		return k
	}
	return ""
}

func slots(m *mv, out []slot) []slot {
	for i, v := range m.vals {
		out = append(out, slot{m, i})
		out = slots(v, out)
	}
	for i, v := range m.items {
		out = append(out, slot{m, i})
		out = slots(v, out)
	}
	return out
}

func maps(m *mv, out []*mv) []*mv {
	if m.isMap {
		out = append(out, m)
	}
	for _, v := range m.vals {
		out = maps(v, out)
	}
	for _, v := range m.items {
		out = maps(v, out)
	}
	return out
}

var (
	wrongTypeValues = []string{`"x"`, `7`, `2.5`, `true`, `null`, `[1]`, `{"a": 1}`, `yes`, `off`, `017`, `0x1F`, `1:30`, `2020-01-02`, `1.0e+3`, `1e3`, `~`, `.inf`, `"8888"`, `[]`, `{}`, `0b101`, `-.5`, `1_000`}
	numberValues    = []string{`-1`, `0`, `0.0`, `0.5`, `1`, `31`, `32`, `32.0`, `127`, `128`, `1000000000`, `18999`, `19000`, `21000`, `21001`, `65536`, `1.5`, `60`, `59`, `101`, `86400001`, `11`}
	badNames        = []string{`"Main"`, `"main.canary"`, `"main-"`, `"main_"`, `"a_very_long_instance_name_that_is_too_long_for_kubernetes_after_sanitising"`, `"x"`, `"_private"`, `"123"`, `"with space"`, `"ok-name"`, `"ok_name"`}
)

// mutate applies one random mutation to a copy of doc.
func mutate(r *rand.Rand, doc *mv) *mv {
	d := doc.clone()
	all := slots(d, nil)
	ms := maps(d, nil)
	if len(all) == 0 || len(ms) == 0 {
		return d
	}
	switch op := r.IntN(10); op {
	case 0: // wrong type
		s := all[r.IntN(len(all))]
		s.set(&mv{raw: wrongTypeValues[r.IntN(len(wrongTypeValues))]})
	case 1: // unknown key
		m := ms[r.IntN(len(ms))]
		m.keys = append(m.keys, strconv.Quote([]string{"bogus_key", "ram", "nerve_ns", "docker_image", "Instances"}[r.IntN(5)]))
		m.vals = append(m.vals, &mv{raw: "1"})
	case 2: // enum values, good and bad
		var cands []slot
		for _, s := range all {
			if _, ok := enumKeys[s.key()]; ok {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			return mutate(r, doc)
		}
		s := cands[r.IntN(len(cands))]
		vals := slices.Concat(enumKeys[s.key()], []string{"bogus", "HTTP"})
		s.set(&mv{raw: strconv.Quote(vals[r.IntN(len(vals))])})
	case 3: // numbers in and out of range
		var cands []slot
		for _, s := range all {
			if v := s.get(); !v.isMap && !v.isSeq && (implicitTag(v.raw) == "!!int" || implicitTag(v.raw) == "!!float") {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			return mutate(r, doc)
		}
		cands[r.IntN(len(cands))].set(&mv{raw: numberValues[r.IntN(len(numberValues))]})
	case 4: // delete a key
		m := ms[r.IntN(len(ms))]
		if len(m.keys) == 0 {
			return mutate(r, doc)
		}
		i := r.IntN(len(m.keys))
		m.keys = append(m.keys[:i], m.keys[i+1:]...)
		m.vals = append(m.vals[:i], m.vals[i+1:]...)
	case 5: // rename a top-level key (instance, job or namespace names)
		if !d.isMap || len(d.keys) == 0 {
			return mutate(r, doc)
		}
		d.keys[r.IntN(len(d.keys))] = badNames[r.IntN(len(badNames))]
	case 7, 8: // YAML 1.1 spellings where booleans and numbers are expected
		var cands []slot
		for _, s := range all {
			if v := s.get(); !v.isMap && !v.isSeq && implicitTag(v.raw) != "!!str" && implicitTag(v.raw) != "!!null" {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			return mutate(r, doc)
		}
		spellings := []string{`yes`, `no`, `on`, `off`, `y`, `n`, `True`, `FALSE`, `"true"`, `1`, `0`, `017`, `08`, `0x10`, `1_000`, `1:30`, `190:00`, `1.`, `.5`, `5e-1`, `5.0e-1`, `+12`, `NULL`, `Null`, `nULL`}
		cands[r.IntN(len(cands))].set(&mv{raw: spellings[r.IntN(len(spellings))]})
	case 9: // keys that interact through oneOf, not, dependencies and anyOf
		m := ms[r.IntN(len(ms))]
		pairs := [][2]string{
			{`"service_account_name"`, `"web-sa"`},
			{`"iam_role"`, `"arn:aws:iam::123:role/web"`},
			{`"healthcheck_cmd"`, `"/bin/true"`},
			{`"healthcheck_mode"`, `"cmd"`},
			{`"fs_group_change_policy"`, `"Always"`},
			{`"fs_group"`, `1000`},
			{`"drain_method"`, `"http"`},
			{`"drain_method_params"`, `{"drain": {}, "stop_draining": {}}`},
			{`"node_selectors"`, `{"yelp.com/pool": [{"operator": "In", "values": ["a", "a"]}]}`},
			{`"node_selectors"`, `{"yelp.com/pool": [{"operator": "Gt", "value": 3}], "-bad-": "x"}`},
			{`"anti_affinity"`, `[{"service": "web"}, {"service": "web"}]`},
			{`"lifecycle"`, `{"pre_stop_command": ["sleep", 5]}`},
			{`"monitoring"`, `{"alert_after": "10m", "team": "web"}`},
			{`"monitoring"`, `{"alert_after": "0m"}`},
			{`"schedule"`, `{"type": "cron", "value": 5}`},
			{`"actions"`, `[{"name": "a"}]`},
		}
		pr := pairs[r.IntN(len(pairs))]
		m.keys = append(m.keys, pr[0])
		m.vals = append(m.vals, &mv{raw: pr[1]})
	case 6: // replace a whole mapping by a list or a scalar
		s := all[r.IntN(len(all))]
		if v := s.get(); v.isMap {
			s.set(&mv{isSeq: true, items: []*mv{v}})
		} else {
			s.set(&mv{raw: `"replaced"`})
		}
	}
	return d
}

// syntaxEdges are YAML spellings where YAML 1.1 (PyYAML) and YAML 1.2
// (yaml.v3's own resolution) or the two parsers could disagree; each is a
// kubernetes file of the differential test.
var syntaxEdges = []string{
	"main:\n\tcpus: 1\n",
	"main:\n  cpus: 1\n  mem: !!int \"512\"\n",
	"main: {cpus: 1, mem: 512,}\n",
	"%YAML 1.2\n---\nmain: {cpus: 1}\n",
	"%YAML 1.1\n---\nmain: {cpus: 1}\n",
	"main:\n  cpus: 1\n...\n",
	"main:\n  env: {A: !!binary aGVsbG8=}\n",
	"main:\n  cmd: \"a\\qb\"\n",
	"main:\n  cmd: 'it''s'\n",
	"main:\n  cmd: >\n    folded\n    text\n",
	"main: &m\n  cpus: 1\ncanary: *m\n",
	"? main\n: cpus: 1\n",
	"main:\n  cpus: 1\n  cpus: 2\n",
	"main:\n  env:\n    A: 0o17\n",
	"main:\n  env:\n    A: 1e3\n",
	"main:\n  instances: 0x10\n",
	"main:\n  instances: 1_0\n",
	"main:\n  instances: 10.0\n",
	"main:\n  cmd: [a, b\n",
	"main:\n  cmd: \"\\x41\"\n",
	"main:\n  mem: 3.2e+1\n",
	"main:\n  mem: 3.2e1\n",
	"main:\n  cpus: -0\n",
	"main:\n  env:\n    A: \"\\u00e9\"\n",
	"main:\n- a\n",
	"main: !!map {cpus: 1}\n",
	"main:\n  cpus: .Inf\n",
	"main:\n  cpus: .NaN\n",
	"main:\n  deploy_group: 2020-01-01\n",
	"main:\n  deploy_group: 1:30\n",
	"main:\n  deploy_group: =\n",
	"main:\n  deploy_group: <<\n",
	"main:\n  <<: {cpus: 1}\n",
	"main:\n  <<: [{cpus: 1}, {mem: 64}]\n  cpus: 2\n",
	"\"main\": {\"cpus\": 1}\n",
	"main:\n  cmd: @foo\n",
	"main:\n  cmd: |+\n    x\n\n",
	"main:\n  instances: 010\n",
	"main:\n  instances: 0b11\n",
	"main:\n  instances: +3\n",
	"main:\n  instances: 3.\n",
	"main:\n  cpus: 1:30.5\n",
	"main:\n  registrations: [a.b, a.b]\n",
	"main:\n  registrations: [a.b, 'a.b ']\n",
	"main:\n  env: {A: yes}\n",
	"main:\n  env: {A: 'yes'}\n",
	"main:\n  env: {A: ~}\n",
	"main:\n  env: {A: }\n",
	"main:\n  healthcheck_mode: Off\n",
	"main:\n  bounce_margin_factor: 1.0\n",
	"main:\n  bounce_margin_factor: 1.00000000000000001\n",
	"main:\n  gpus: 99999999999999999999999999\n",
	"main:\n  cpus: 1\n# trailing comment\n",
	"# only a comment\n",
	"",
	"---\n",
	"main: null\n",
	"main: {}\n",
	"_template: {anything: [1, 2]}\n",
	"main:\n  cpus: 1\nMain:\n  cpus: 1\n",
	"main:\n  cmd: \"x\"\n  cmd2: \"y\"\n",
	"main:\n  namespace: a-very-long-namespace-name-that-is-way-longer-than-sixty-three-chars\n",
	"main:\n  iam_role: \"arn:aws:iam::123:role/x\\n\"\n",
	"main:\n  iam_role: \"arn:aws:iam::123:role/x\\n\\n\"\n",
}

// writeMutations writes the base documents and their mutations under root
// as service directories (one per schema type; deploy.yaml, which has a
// fixed name, gets a directory per document) and returns how many
// mutations it wrote.
func writeMutations(t *testing.T, root string) int {
	t.Helper()
	r := rand.New(rand.NewPCG(4, 2026))
	perType := 40
	if n, err := strconv.Atoi(os.Getenv("CONTRACTBOT_MUTATIONS")); err == nil && n > 0 {
		perType = n // a deeper local run: CONTRACTBOT_MUTATIONS=500 go test -run TestSchemaVerdicts
	}
	written := 0
	write := func(p, body string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	types := []string{"kubernetes", "eks", "adhoc", "tron", "smartstack", "service", "rollback", "autotuned_defaults/kubernetes", "autotuned_defaults/cassandracluster", "deploy"}
	for _, typ := range types {
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(mutationBases[typ]), &node); err != nil {
			t.Fatalf("base %s: %v", typ, err)
		}
		base := toMV(&node)
		dir := filepath.Join(root, strings.ReplaceAll(typ, "/", "_"))
		for i := 0; i <= perType; i++ {
			doc := base
			if i > 0 {
				doc = mutate(r, base)
				if r.IntN(3) == 0 {
					doc = mutate(r, doc)
				}
				written++
			}
			var b strings.Builder
			doc.emit(&b)
			b.WriteString("\n")
			switch {
			case typ == "deploy":
				write(filepath.Join(root, fmt.Sprintf("deploy-%03d", i), "deploy.yaml"), b.String())
			case strings.HasPrefix(typ, "autotuned_defaults/"):
				write(filepath.Join(dir, typ+fmt.Sprintf("-m%03d.yaml", i)), b.String())
			default:
				write(filepath.Join(dir, fmt.Sprintf("%s-m%03d.yaml", typ, i)), b.String())
			}
		}
	}
	for i, doc := range syntaxEdges {
		write(filepath.Join(root, "edges", fmt.Sprintf("kubernetes-e%02d.yaml", i)), doc)
		written++
	}
	return written
}
