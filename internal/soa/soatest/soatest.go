// Package soatest writes synthetic yelpsoa-configs trees for benchmarks
// and load tests: realistic, valid services with unique proxy_ports.
package soatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MaxServices is how many services can get a distinct proxy_port in
// SmartStack's range 19000-21000.
const MaxServices = 2001

// WriteRepo writes services service directories under dir, each with
// files YAML files (at least 6: service, deploy, jenkins, monitoring,
// smartstack and one or more kubernetes-<cluster>.yaml; a tron file when
// files >= 8). Every service is valid and keeps the contract.
func WriteRepo(dir string, services, files int) error {
	if services > MaxServices {
		return fmt.Errorf("at most %d services fit SmartStack's port range", MaxServices)
	}
	for i := range services {
		if err := WriteService(dir, fmt.Sprintf("svc%04d", i), 19000+i, files); err != nil {
			return err
		}
	}
	return nil
}

// ServiceFiles returns the files (name -> content) of one valid service
// with the given number of files. With port 0 the service has no
// smartstack.yaml: its instances are batch daemons that register nowhere
// and are health-checked by a command, and one more kubernetes file takes
// the place of SmartStack's, so that it still has files files.
func ServiceFiles(name string, port, files int) map[string]string {
	files = max(files, 6)
	clusters := files - 5
	if port == 0 {
		clusters++
	}
	tron := files >= 8
	if tron {
		clusters--
	}
	var steps strings.Builder
	for c := range clusters {
		fmt.Fprintf(&steps, "  - step: cluster%02d.main\n", c)
	}
	out := map[string]string{
		"service.yaml": fmt.Sprintf("description: Synthetic service %s\nexternal_link: https://example.com/%s\ngit_url: git@github.yelpcorp.com:services/%s\n", name, name, name),
		"deploy.yaml": "pipeline:\n  - step: itest\n  - step: security-check\n  - step: push-to-registry\n" + steps.String() +
			"  - step: prod.batch\n  - step: canary\nslack_channels: [\"#" + name + "\"]\n",
		"jenkins.yaml":    "jobs:\n  - name: " + name + "-pipeline\n",
		"monitoring.yaml": "team: team-" + name + "\npage: true\nrunbook: y/" + name + "\n",
		"smartstack.yaml": fmt.Sprintf("main:\n  proxy_port: %d\n  mode: http\n  healthcheck_uri: /status\n  timeout_server_ms: 3000\n  advertise: [region]\n  discover: region\ninternal:\n  proxy_port: null\n  mode: tcp\n", port),
	}
	for c := range clusters {
		out[fmt.Sprintf("kubernetes-cluster%02d.yaml", c)] = fmt.Sprintf(`_base: &base
  mem: 1024
  disk: 2048
  env:
    LOG_LEVEL: info
    REGION: cluster%02d
  healthcheck_mode: http
  healthcheck_uri: /status
  bounce_method: crossover
main:
  <<: *base
  instances: 3
  registrations: [%s.main]
  autoscaling:
    metrics_providers:
      - type: cpu
        setpoint: 0.7
  min_instances: 2
  max_instances: 10
canary:
  <<: *base
  cpus: 0.5
  instances: 1
  deploy_group: canary
  registrations: [%s.main]
worker:
  cpus: 0.25
  mem: 512
  cmd: python -m %s.worker
  deploy_group: prod.batch
  healthcheck_mode: cmd
  healthcheck_cmd: /bin/true
`, c, name, name, name)
	}
	if tron {
		out["tron-cluster00.yaml"] = `nightly:
  schedule: "cron 0 3 * * *"
  deploy_group: prod.batch
  monitoring: {team: data, page: false}
  actions:
    build:
      command: python -m nightly build
      cpus: 0.5
      mem: 512
    publish:
      command: python -m nightly publish
      requires: [build]
`
	}
	if port == 0 {
		delete(out, "smartstack.yaml")
		for c := range clusters {
			k := fmt.Sprintf("kubernetes-cluster%02d.yaml", c)
			// A batch daemon: registered nowhere, so probed by a command.
			out[k] = strings.NewReplacer("  registrations: ["+name+".main]\n", "",
				"  healthcheck_mode: http\n  healthcheck_uri: /status\n", "  healthcheck_mode: cmd\n  healthcheck_cmd: /bin/true\n").Replace(out[k])
		}
	}
	return out
}

// WriteService writes one valid service with the given proxy_port and
// number of files.
func WriteService(dir, name string, port, files int) error {
	out := ServiceFiles(name, port, files)
	sd := filepath.Join(dir, name)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		return err
	}
	for f, body := range out {
		if err := os.WriteFile(filepath.Join(sd, f), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
