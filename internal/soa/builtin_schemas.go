package soa

// contractbot's definitions of what PaaSTA accepts in each soa file kind,
// with the semantics of the JSON schemas shipped in PaaSTA 1.60.3
// (paasta_tools/cli/schemas, Apache-2.0, Yelp Inc.): the same keys, types,
// enums, patterns, bounds and closed mappings, so that contractbot and
// `paasta validate` agree on every file (differential_test.go checks this
// against python3 jsonschema). Only constraints are kept; documentation
// lives in docs/rules.md.
//
// Patterns are Python regular expressions, compiled by
// CompilePythonRegexp. Keys starting with "_" are templates (YAML anchors to
// merge from) and accept anything.

func serviceSchema() sch {
	return obj(kv{
		"cost_owner":        str().match("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").maxLen(63),
		"description":       str(),
		"external_link":     str(),
		"git_url":           types("string", "null").match("^git@github.yelpcorp.com:[-a-z]+/[-_a-z0-9]+(\\.git)?$"),
		"needs_puppet_help": boolean(),
	}).req("description", "external_link")
}

func adhocSchema() sch {
	return anyObject().patterns(kv{
		"^([a-z0-9]|[a-z0-9][a-z0-9_-]*[a-z0-9])*$": obj(kv{
			"args":           arr(str()),
			"boto_keys":      arr(str()),
			"cap_add":        arr(str()),
			"cfs_period_us":  integer().ge(1000).le(1000000),
			"cmd":            str(),
			"container_port": integer(),
			"cpu_burst_add":  num().ge(0),
			"cpus":           num().gt(0),
			"crypto_keys":    cryptoKeys(),
			"deploy_group":   str(),
			"disk":           num().gt(0),
			"docker_url":     str(),
			"env": anyObject().patterns(kv{
				"^[a-zA-Z_]+[a-zA-Z0-9_]*$": str(),
			}).closed(),
			"extra_docker_args":        anyObject().extra(str()),
			"extra_volumes":            arr(anyObject()).unique(),
			"fs_group":                 integer(),
			"fs_group_change_policy":   enum("Always", "OnRootMismatch"),
			"gpus":                     integer().ge(0),
			"iam_role":                 str(),
			"iam_role_provider":        enum("aws"),
			"mem":                      num().gt(32),
			"namespace":                str(),
			"net":                      str(),
			"node_selectors":           nodeSelectors(),
			"node_selectors_preferred": nodeSelectorsPreferred(),
			"pool":                     str(),
			"privileged":               boolean(),
			"role":                     str(),
			"secret_volumes":           secretVolumes(),
			"uses_bulkdata":            boolean(),
		}).closed().minProps(1).needs("fs_group_change_policy", "fs_group"),
		"^_.*$": anyObject(),
	}).closed().minProps(1)
}

func kubernetesSchema() sch {
	return anyObject().patterns(kv{
		"^([a-z0-9]|[a-z0-9][a-z0-9_-]*[a-z0-9])*$": obj(kv{
			"anti_affinity":           antiAffinity(),
			"anti_affinity_preferred": antiAffinityPreferred(),
			"args":                    arr(str()),
			"autoscaling":             autoscalingParams(),
			"autotune_limits":         autotuneLimits(),
			"aws_ebs_volumes":         arr(anyObject()).unique(),
			"backoff_factor":          integer(),
			"boto_keys":               arr(str()),
			"bounce_health_params":    bounceHealthParams(),
			"bounce_margin_factor":    num().ge(0).le(1),
			"bounce_method":           enum("crossover", "brutal", "downthenup"),
			"bounce_priority":         integer(),
			"cap_add":                 arr(str()),
			"cfs_period_us":           integer().ge(1000).le(1000000),
			"cmd": oneOf(
				str(),
				anyArray(),
			),
			"constraints":                  arr(anyArray()).unique(),
			"container_port":               num(),
			"cpu_burst_add":                num().ge(0),
			"cpus":                         num().gt(0),
			"crypto_keys":                  cryptoKeys(),
			"datastore_credentials":        datastoreCredentials(),
			"dependencies_reference":       str(),
			"deploy_blacklist":             anyArray(),
			"deploy_group":                 str(),
			"deploy_whitelist":             anyArray(),
			"disk":                         num().gt(0),
			"drain_method":                 enum("noop", "hacheck", "http", "test"),
			"drain_method_params":          anyObject(),
			"enable_aws_lb_readiness_gate": boolean(),
			"env": anyObject().patterns(kv{
				"^[a-zA-Z_]+[a-zA-Z0-9_]*$": str(),
			}).closed(),
			"extra_constraints":                    arr(anyArray()).unique(),
			"extra_docker_args":                    anyObject().extra(str()),
			"extra_volumes":                        arr(anyObject()).unique(),
			"fs_group":                             integer(),
			"fs_group_change_policy":               enum("Always", "OnRootMismatch"),
			"gpus":                                 integer().ge(0),
			"healthcheck_cmd":                      str(),
			"healthcheck_grace_period_seconds":     num(),
			"healthcheck_interval_seconds":         num(),
			"healthcheck_max_consecutive_failures": integer(),
			"healthcheck_mode":                     enum("cmd", "tcp", "http", "https"),
			"healthcheck_timeout_seconds":          num(),
			"healthcheck_uri":                      str(),
			"host_port":                            integer().ge(0).le(65535),
			"iam_role":                             str().match("^arn:aws:iam::[0-9]+:role/[a-zA-Z0-9+=,.@_-]+$"),
			"iam_role_provider":                    enum("aws"),
			"instances":                            integer().ge(0),
			"is_istio_sidecar_injection_enabled":   boolean(),
			"lifecycle":                            lifecycle(),
			"max_instances":                        integer().ge(0),
			"max_launch_delay_seconds":             integer(),
			"mem":                                  num().ge(32),
			"min_instances":                        integer().ge(0),
			"monitoring":                           monitoring(),
			"monitoring_blacklist":                 anyArray(),
			"namespace":                            str().match("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").maxLen(63),
			"node_selectors":                       nodeSelectors(),
			"node_selectors_preferred":             nodeSelectorsPreferred(),
			"persistent_volumes":                   persistentVolumes(),
			"pod_management_policy":                enum("OrderedReady", "Parallel"),
			"pool":                                 str(),
			"projected_sa_volumes":                 projectedSaVolumes(),
			"prometheus_path":                      str(),
			"prometheus_port":                      integer().ge(0),
			"prometheus_shard":                     str(),
			"registrations":                        arr(str()).unique(),
			"replication_threshold":                integer().ge(0),
			"routable_ip":                          boolean(),
			"secret_volumes":                       secretVolumes(),
			"service_account_name":                 str(),
			"sfn_autoscaling":                      anyObject(),
			"sidecar_resource_requirements":        sidecarResourceRequirements(),
			"topology_spread_constraints": arr(obj(kv{
				"max_skew":           integer(),
				"topology_key":       str(),
				"when_unsatisfiable": str().enum("ScheduleAnyway", "DoNotSchedule"),
			}).req()).unique(),
			"uses_bulkdata": boolean(),
			"weight":        integer().ge(1),
		}).closed().minProps(1).allOf(
			oneOf(
				anything().props(kv{
					"healthcheck_mode": enum("tcp", "http", "https"),
				}),
				anything().props(kv{
					"healthcheck_cmd":  str(),
					"healthcheck_mode": enum("cmd"),
				}).req("healthcheck_cmd"),
			),
			oneOf(
				anything().props(kv{
					"drain_method": enum("noop", "hacheck", "test"),
				}),
				anything().props(kv{
					"drain_method":        enum("http"),
					"drain_method_params": drainMethodParams(),
				}).req("drain_method_params"),
			),
			not(anything().req("service_account_name", "iam_role")),
		).needs("fs_group_change_policy", "fs_group"),
		"^_.*$": anyObject(),
	}).closed().minProps(1)
}

func rollbackSchema() sch {
	return obj(kv{
		"allowed_failing_queries": integer(),
		"check_interval_s":        integer(),
		"conditions": obj(kv{
			"prometheus": arr(rollbackPrometheusCondition()),
			"signalfx":   arr(rollbackSignalfxCondition()),
			"splunk":     arr(rollbackSplunkCondition()),
		}).closed(),
		"enable_slo_rollback": boolean(),
		"rollback_window_s":   integer(),
	}).closed()
}

func tronSchema() sch {
	return anyObject().patterns(kv{
		"^[^_].*$": tronJob(),
		"^_.*$":    anyObject(),
	})
}

func eksSchema() sch {
	return anyObject().patterns(kv{
		"^([a-z0-9]|[a-z0-9][a-z0-9_-]*[a-z0-9])*$": obj(kv{
			"anti_affinity":               antiAffinity(),
			"anti_affinity_preferred":     antiAffinityPreferred(),
			"args":                        arr(str()),
			"autoscaling":                 autoscalingParams(),
			"autotune_limits":             autotuneLimits(),
			"aws_ebs_volumes":             arr(anyObject()).unique(),
			"backoff_factor":              integer(),
			"boto_keys":                   arr(str()),
			"bounce_health_params":        bounceHealthParams(),
			"bounce_margin_factor":        num().ge(0).le(1),
			"bounce_method":               enum("crossover", "brutal", "downthenup"),
			"bounce_overprovision_factor": num().ge(0.25).le(1),
			"bounce_priority":             integer(),
			"cap_add":                     arr(str()),
			"cfs_period_us":               integer().ge(1000).le(1000000),
			"cmd": oneOf(
				str(),
				anyArray(),
			),
			"constraints":                  arr(anyArray()).unique(),
			"container_port":               num(),
			"cost_owner":                   str().match("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").maxLen(63),
			"cpu_burst_add":                num().ge(0),
			"cpus":                         num().gt(0),
			"crypto_keys":                  cryptoKeys(),
			"datastore_credentials":        datastoreCredentials(),
			"dependencies_reference":       str(),
			"deploy_blacklist":             anyArray(),
			"deploy_group":                 str(),
			"deploy_whitelist":             anyArray(),
			"disk":                         num().gt(0),
			"drain_method":                 enum("noop", "hacheck", "http", "test"),
			"drain_method_params":          anyObject(),
			"enable_aws_lb_readiness_gate": boolean(),
			"env": anyObject().patterns(kv{
				"^[a-zA-Z_]+[a-zA-Z0-9_]*$": str(),
			}).closed(),
			"extra_constraints":                    arr(anyArray()).unique(),
			"extra_docker_args":                    anyObject().extra(str()),
			"extra_volumes":                        arr(anyObject()).unique(),
			"fs_group":                             integer(),
			"fs_group_change_policy":               enum("Always", "OnRootMismatch"),
			"gpus":                                 integer().ge(0),
			"healthcheck_cmd":                      str(),
			"healthcheck_grace_period_seconds":     num(),
			"healthcheck_interval_seconds":         num(),
			"healthcheck_max_consecutive_failures": integer(),
			"healthcheck_mode":                     enum("cmd", "tcp", "http", "https"),
			"healthcheck_timeout_seconds":          num(),
			"healthcheck_uri":                      str(),
			"host_port":                            integer().ge(0).le(65535),
			"iam_role":                             str().match("^arn:aws:iam::[0-9]+:role/[a-zA-Z0-9+=,.@_-]+$"),
			"iam_role_provider":                    enum("aws"),
			"instances":                            integer().ge(0),
			"is_istio_sidecar_injection_enabled":   boolean(),
			"lifecycle":                            lifecycle(),
			"max_instances":                        integer().ge(0),
			"max_launch_delay_seconds":             integer(),
			"mem":                                  num().ge(32),
			"min_instances":                        integer().ge(0),
			"monitoring":                           monitoring(),
			"monitoring_blacklist":                 anyArray(),
			"namespace":                            str().match("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").maxLen(63),
			"node_selectors":                       nodeSelectors(),
			"node_selectors_preferred":             nodeSelectorsPreferred(),
			"persistent_volumes":                   persistentVolumes(),
			"pod_management_policy":                enum("OrderedReady", "Parallel"),
			"pool":                                 str(),
			"projected_sa_volumes":                 projectedSaVolumes(),
			"prometheus_path":                      str(),
			"prometheus_port":                      integer().ge(0),
			"prometheus_shard":                     str(),
			"registrations":                        arr(str()).unique(),
			"replication_threshold":                integer().ge(0),
			"routable_ip":                          boolean(),
			"secret_volumes":                       secretVolumes(),
			"service_account_name":                 str(),
			"sfn_autoscaling":                      anyObject(),
			"sidecar_resource_requirements":        sidecarResourceRequirements(),
			"ssm_secrets":                          ssmSecrets(),
			"topology_spread_constraints": arr(obj(kv{
				"match_label_keys": arr(anything().allOf(
					str().match("^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$").maxLen(63),
					not(enum("paasta.yelp.com/service", "paasta.yelp.com/instance")),
				)).unique(),
				"max_skew":           integer(),
				"topology_key":       str(),
				"when_unsatisfiable": str().enum("ScheduleAnyway", "DoNotSchedule"),
			}).req()).unique(),
			"uses_bulkdata": boolean(),
			"weight":        integer().ge(1),
		}).closed().minProps(1).allOf(
			oneOf(
				anything().props(kv{
					"healthcheck_mode": enum("tcp", "http", "https"),
				}),
				anything().props(kv{
					"healthcheck_cmd":  str(),
					"healthcheck_mode": enum("cmd"),
				}).req("healthcheck_cmd"),
			),
			oneOf(
				anything().props(kv{
					"drain_method": enum("noop", "hacheck", "test"),
				}),
				anything().props(kv{
					"drain_method":        enum("http"),
					"drain_method_params": drainMethodParams(),
				}).req("drain_method_params"),
			),
			not(anything().req("service_account_name", "iam_role")),
		).needs("fs_group_change_policy", "fs_group"),
		"^_.*$": anyObject(),
	}).closed().minProps(1)
}

func smartstackSchema() sch {
	return anyObject().extra(obj(kv{
		"advertise":               arr(str()),
		"allow_websocket_upgrade": boolean(),
		"allredisp":               boolean(),
		"balance":                 str().match("^(leastconn|roundrobin)$"),
		"chaos":                   anyObject().extra(anything()),
		"choice_count":            integer().ge(1),
		"clb_proxy":               str(),
		"discover":                str(),
		"endpoint_timeouts":       anyObject().extra(num().ge(0)),
		"extra_advertise":         anyObject().extra(arr(str())),
		"extra_headers":           anyObject(),
		"extra_healthcheck_headers": obj(kv{
			"Host":         str(),
			"X-ProxiedSSL": str(),
			"X-Source-Id":  str(),
		}).extra(str()),
		"fixed_delay": anyObject().extra(obj(kv{
			"duration_ms": num().ge(0).le(86400000),
			"percent":     integer().ge(0).le(100),
		}).req("duration_ms", "percent")),
		"healthcheck_body_expect": str(),
		"healthcheck_mode":        enum("http", "https", "http2", "tcp"),
		"healthcheck_port":        integer().ge(0).le(65535),
		"healthcheck_timeout_s":   num().ge(0).le(10),
		"healthcheck_uri":         str().match("^/[-_0-9a-zA-Z/\\?&\\.=]*$"),
		"idle_timeout":            integer().ge(0).le(86400000),
		"is_proxy":                boolean(),
		"lb_policy":               enum("ROUND_ROBIN", "LEAST_REQUEST", "RING_HASH", "RANDOM", "MAGLEV", "CLUSTER_PROVIDED"),
		"mode":                    enum("http", "https", "http2", "tcp"),
		"monitoring": obj(kv{
			"default_endpoint_alerting":      boolean(),
			"endpoint_error_threshold_ratio": num().ge(0).le(1),
			"endpoint_minimum_error_rps":     num().ge(0),
			"endpoints": arr(obj(kv{
				"error_threshold_ratio":   num().ge(0).le(1),
				"minimum_error_rps":       num().ge(0),
				"name":                    str(),
				"page":                    boolean(),
				"page_nonprod":            boolean(),
				"project":                 str(),
				"slack_channel":           str(),
				"team":                    str(),
				"ticket":                  boolean(),
				"timeout_threshold_ratio": num().ge(0).le(1),
			}).req("name")),
			"error_threshold_ratio":   num().ge(0).le(1),
			"minimum_error_rps":       num().ge(0),
			"page":                    boolean(),
			"page_nonprod":            boolean(),
			"project":                 str(),
			"slack_channel":           str(),
			"team":                    str(),
			"ticket":                  boolean(),
			"timeout_alerting":        boolean(),
			"timeout_page":            boolean(),
			"timeout_threshold_ratio": num().ge(0).le(1),
			"timeout_ticket":          boolean(),
		}),
		"plugins": obj(kv{
			"logging": obj(kv{
				"enabled":     boolean(),
				"sample_rate": num().ge(0).le(1),
			}).req("enabled"),
			"source_required": obj(kv{
				"enabled": boolean(),
			}).closed().req("enabled"),
		}),
		"port":               integer().ge(0).le(65535),
		"proxied_through":    str(),
		"proxy_port":         types("integer", "null").ge(19000).le(21000),
		"retries":            integer().ge(0).le(10),
		"timeout_client_ms":  integer().ge(0).le(86400000),
		"timeout_connect_ms": integer().ge(0).le(60000),
		"timeout_server_ms":  integer().ge(0).le(86400000),
		"updown_timeout_s":   integer().ge(0).le(86400000),
		"vip_upgrade":        str(),
	}).closed().req("proxy_port")).minProps(1)
}

func autotunedKubernetesSchema() sch {
	return anyObject().patterns(kv{
		"^([a-z0-9]|[a-z0-9][a-z0-9_-]*[a-z0-9])*$": obj(kv{
			"cpu_burst_add":                 num().ge(0),
			"cpus":                          num().gt(0),
			"disk":                          num().ge(128),
			"max_instances":                 integer().ge(0),
			"mem":                           num().ge(32),
			"min_instances":                 integer().ge(0),
			"sidecar_resource_requirements": sidecarResourceRequirements(),
		}).closed().minProps(1),
	}).closed().minProps(1)
}

func autotunedCassandraSchema() sch {
	return anyObject().patterns(kv{
		"^([a-z0-9]|[a-z0-9][a-z0-9_-]*[a-z0-9])*$": obj(kv{
			"cpu_burst_percent": num().ge(0),
			"cpus":              num().gt(0),
			"disk":              str(),
			"mem":               str(),
			"replicas":          num().gt(0),
		}).closed().minProps(1),
	}).closed().minProps(1)
}

func deploySchema() sch {
	return obj(kv{
		"allow_no_verify_deploy":  boolean(),
		"allowed_push_groups":     arr(str()),
		"default_deploy_strategy": str().enum("verify", "no-verify"),
		"pipeline": arr(anything().allOf(
			deployStepScalarProperties(),
			obj(kv{
				"parallel": arr(deployStepScalarProperties()),
			}),
		)),
		"production_deploy_group": str(),
		"slack_channels":          arr(str()),
		"slack_notify":            boolean(),
	}).closed().req("pipeline")
}

func rollbackPrometheusCondition() sch {
	return obj(kv{
		"dry_run":     boolean(),
		"lower_bound": types("number", "null"),
		"query":       str(),
		"upper_bound": types("number", "null"),
	}).closed().req("query")
}

func rollbackSignalfxCondition() sch {
	return obj(kv{
		"dry_run":     boolean(),
		"lower_bound": types("number", "null"),
		"query":       str(),
		"upper_bound": types("number", "null"),
	}).closed().req("query")
}

func rollbackSplunkCondition() sch {
	return obj(kv{
		"dry_run":     boolean(),
		"lower_bound": types("number", "null"),
		"query":       str(),
		"query_type":  str().enum("number", "results"),
		"upper_bound": types("number", "null"),
	}).closed().req("query")
}

func tronName() sch {
	return str().match("^[A-Za-z_][\\w\\-]{0,254}$")
}

func tronTimeDelta() sch {
	return str().match("^\\d+\\s*[a-z]+$")
}

func tronAction() sch {
	return obj(kv{
		"aws_credentials": str().match("[-a-zA-z0-9_]"),
		"boto_keys":       arr(str()),
		"cap_add":         arr(str()),
		"cluster":         str(),
		"command":         str(),
		"constraints":     arr(anyArray()).unique(),
		"cost_owner":      str().match("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").maxLen(63),
		"cpus":            num().gt(0),
		"crypto_keys":     cryptoKeys(),
		"deploy_group":    str(),
		"disk":            num().gt(0),
		"env": anyObject().patterns(kv{
			"^[a-zA-Z_]+[a-zA-Z0-9_]*$": str(),
		}).closed(),
		"executor":                     enum("ssh", "paasta", "spark"),
		"expected_runtime":             tronTimeDelta(),
		"extra_constraints":            arr(anyArray()).unique(),
		"extra_volumes":                arr(anyObject()).unique(),
		"force_spark_resource_configs": boolean(),
		"iam_role":                     str().match("^arn:aws:iam::[0-9]+:role/[a-zA-Z0-9+=,.@_-]+$"),
		"iam_role_provider":            enum("aws"),
		"idempotent":                   boolean(),
		"max_runtime":                  tronTimeDelta(),
		"mem":                          num().gt(32),
		"mrjob":                        boolean(),
		"name":                         tronName(),
		"node":                         tronName(),
		"node_selectors":               nodeSelectors(),
		"on_upstream_rerun":            str(),
		"pool":                         str(),
		"projected_sa_volumes":         projectedSaVolumes(),
		"requires":                     arr(str()),
		"retries":                      integer().ge(0),
		"retries_delay":                tronTimeDelta(),
		"secret_volumes":               secretVolumes(),
		"service":                      str(),
		"service_account_name":         str(),
		"spark_args": obj(kv{
			"spark.app.name":            str(),
			"spark.cores.max":           integer().gt(0),
			"spark.default.parallelism": integer(),
			"spark.driver.cores":        integer().gt(0),
			"spark.driver.maxResultSize": oneOf(
				str().match("^[1-9]+[0-9]*[kmgt]$"),
				num().ge(0),
			),
			"spark.driver.memory": str().match("^[1-9]+[0-9]*[kmgt]$"),
			"spark.driver.memoryOverhead": oneOf(
				str().match("^[1-9]+[0-9]*[kmgt]$"),
				num().gt(0),
			),
			"spark.executor.cores":     integer().gt(0),
			"spark.executor.instances": integer().gt(0),
			"spark.executor.memory":    str().match("^[1-9]+[0-9]*[kmgt]$"),
			"spark.executor.memoryOverhead": oneOf(
				str().match("^[1-9]+[0-9]*[kmgt]$"),
				num().gt(0),
			),
			"spark.hadoop.fs.s3a.multiobjectdelete.enable":      boolean(),
			"spark.kubernetes.allocation.batch.size":            integer(),
			"spark.kubernetes.driver.request.cores":             num().gt(0),
			"spark.kubernetes.executor.request.cores":           num().gt(0),
			"spark.kubernetes.memoryOverheadFactor":             num().ge(0).le(1),
			"spark.local.dir":                                   str(),
			"spark.scheduler.maxRegisteredResourcesWaitingTime": str().match("^[1-9]+[0-9]*(ms|s|m|min|h|d)$"),
			"spark.scheduler.minRegisteredResourcesRatio":       num().gt(0).le(1),
			"spark.sql.autoBroadcastJoinThreshold": oneOf(
				enum(-1),
				integer().gt(0),
			),
			"spark.sql.broadcastTimeout":               integer().gt(0),
			"spark.sql.parquet.enableVectorizedReader": boolean(),
			"spark.sql.shuffle.partitions":             integer().gt(0),
			"spark.stage.maxConsecutiveAttempts":       integer(),
			"spark.task.maxFailures":                   integer().ge(1),
		}),
		"ssm_secrets":         ssmSecrets(),
		"trigger_downstreams": types("object", "boolean").extra(str()),
		"trigger_timeout":     tronTimeDelta(),
		"triggered_by":        arr(str()).unique(),
		"uses_bulkdata":       boolean(),
	}).closed().req("command").allOf(
		not(anything().req("service_account_name", "iam_role")),
	)
}

func tronJob() sch {
	return obj(kv{
		"actions": types("array", "object").patterns(kv{
			".+": tronAction(),
		}).items(tronAction()),
		"all_nodes":        boolean(),
		"allow_overlap":    boolean(),
		"cleanup_action":   tronAction(),
		"cluster":          str(),
		"cost_owner":       str().match("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").maxLen(63),
		"deploy_group":     str(),
		"enabled":          boolean(),
		"expected_runtime": tronTimeDelta(),
		"max_runtime":      tronTimeDelta(),
		"monitoring": obj(kv{
			"alert_after": oneOf(
				str().match("^[1-9]+[0-9]*[YMWDhms]$"),
				integer().ge(0),
			),
			"check_oom_events":                          boolean(),
			"check_that_every_day_has_a_successful_run": boolean(),
			"component":                 types("string", "array"),
			"dependencies":              arr(str()),
			"description":               str(),
			"irc_channels":              arr(str()),
			"issuetype":                 str(),
			"notification_email":        types("string", "boolean", "null"),
			"page":                      boolean(),
			"page_for_expected_runtime": boolean(),
			"priority":                  str(),
			"project":                   str(),
			"realert_every":             integer().ge(-1),
			"runbook":                   str(),
			"slack_channels":            arr(str()),
			"tags":                      arr(str()),
			"team":                      str(),
			"ticket":                    boolean(),
			"tip":                       str(),
		}).closed(),
		"name":      tronName(),
		"node":      tronName(),
		"queueing":  boolean(),
		"run_limit": integer().gt(0),
		"schedule":  types("string", "object"),
		"service":   str(),
		"time_zone": str(),
	}).closed().req("schedule", "actions")
}

func deployStepScalarProperties() sch {
	return obj(kv{
		"abandon_above_breakage_pct":              num(),
		"alertmanager_poll_interval_s":            integer().ge(30),
		"alertmanager_rollback":                   boolean(),
		"alertmanager_rollback_dry_run":           boolean(),
		"auto_abandon_delay":                      integer(),
		"auto_certify_delay":                      integer(),
		"auto_rollback":                           boolean(),
		"auto_rollback_delay":                     integer(),
		"command":                                 str(),
		"complete_below_breakage_pct":             num(),
		"confirm_complete":                        boolean(),
		"confirmation_required":                   boolean(),
		"crashloop_rollback_percentage_threshold": num().ge(0).le(1),
		"deployment_steps": arr(obj(kv{
			"confirm_before":            boolean(),
			"deploy_below_breakage_pct": num(),
			"deploy_group":              str(),
			"progress":                  num(),
		}).closed().req("deploy_group", "progress")),
		"disabled":                            boolean(),
		"display_step_for_confirmation":       boolean(),
		"enable_automated_redeploys":          boolean(),
		"enable_crashloop_auto_rollback":      boolean(),
		"ignore_failure":                      boolean(),
		"min_restarts_for_crashloop_rollback": integer(),
		"notify_after_abort":                  boolean(),
		"notify_after_auto_rollback":          boolean(),
		"notify_after_good_deploy":            boolean(),
		"notify_after_mark":                   boolean(),
		"parallel":                            anything(),
		"prompt_after_abandon":                boolean(),
		"service_account":                     str(),
		"slack_notify":                        boolean(),
		"step":                                str().match("^[a-zA-Z0-9_.-]+$"),
		"timeout":                             integer(),
		"trigger_next_step_manually":          boolean(),
		"wait_for_deployment":                 boolean(),
		"warn":                                integer(),
	}).closed().req("step")
}

func metricsProvider() sch {
	return obj(kv{
		"decision_policy":                     str(),
		"desired_active_requests_per_replica": num(),
		"forecast_policy":                     enum("moving_average", "current"),
		"max_instances_alert_threshold":       num(),
		"metrics_query":                       str(),
		"moving_average_window_seconds":       integer().ge(60),
		"resources": obj(kv{
			"overrides": anyObject(),
			"template":  str(),
		}).closed(),
		"series_query": str(),
		"setpoint":     num(),
		"target_type":  enum("Value", "AverageValue"),
		"type":         enum("uwsgi", "uwsgi-v2", "cpu", "memory", "piscina", "gunicorn", "active-requests", "arbitrary-promql", "worker-load"),
	}).closed()
}

func autoscalingParams() sch {
	return obj(kv{
		"metrics_providers":  arr(metricsProvider()),
		"scaledown_policies": anyObject(),
	}).closed()
}

func cryptoKeys() sch {
	return obj(kv{
		"decrypt": arr(str().match("^[a-zA-Z0-9_.-]+$")).unique(),
		"encrypt": arr(str().match("^[a-zA-Z0-9_.-]+$")).unique(),
	}).closed()
}

func nodeSelectors() sch {
	return anyObject().patterns(kv{
		"^[a-zA-Z0-9]+[a-zA-Z0-9-_./]*[a-zA-Z0-9]+$": nodeSelectorValue(),
	}).closed()
}

func nodeSelectorValue() sch {
	return anyOf(
		str(),
		arr(str()).unique(),
		arr(anyOf(
			obj(kv{
				"operator": enum("In", "NotIn"),
				"values":   arr(str()).unique(),
			}).closed().req("operator", "values"),
			obj(kv{
				"operator": enum("Exists", "DoesNotExist"),
			}).closed().req("operator"),
			obj(kv{
				"operator": enum("Gt", "Lt"),
				"value":    integer(),
			}).closed().req("operator", "value"),
		)),
	)
}

func nodeSelectorsPreferred() sch {
	return arr(obj(kv{
		"preferences": nodeSelectors(),
		"weight":      integer(),
	}))
}

func secretVolumes() sch {
	return arr(obj(kv{
		"container_path": str(),
		"default_mode":   str(),
		"items":          secretVolumeKeys(),
		"secret_name":    str(),
	}).req("container_path", "secret_name")).unique()
}

func secretVolumeKeys() sch {
	return arr(obj(kv{
		"key":  str(),
		"mode": str(),
		"path": str(),
	}).req("key", "path")).maxItems(1).unique()
}

func antiAffinity() sch {
	return oneOf(
		obj(kv{
			"instance": str(),
			"service":  str(),
		}),
		arr(obj(kv{
			"instance": str(),
			"service":  str(),
		})).unique(),
	)
}

func antiAffinityPreferred() sch {
	return oneOf(
		obj(kv{
			"instance": str(),
			"service":  str(),
		}),
		arr(obj(kv{
			"instance": str(),
			"service":  str(),
			"weight":   integer().ge(1).le(100),
		})).unique(),
	)
}

func autotuneLimits() sch {
	return obj(kv{
		"cpus": obj(kv{
			"max": num().gt(0),
			"min": num().gt(0),
		}),
		"disk": diskLimits(),
		"mem":  memLimits(),
	}).closed()
}

func diskLimits() sch {
	return obj(kv{
		"max": integer().ge(128),
		"min": integer().ge(128),
	})
}

func memLimits() sch {
	return obj(kv{
		"max": integer().ge(32),
		"min": integer().ge(32),
	})
}

func bounceHealthParams() sch {
	return obj(kv{
		"check_haproxy":           boolean(),
		"haproxy_min_fraction_up": num().gt(0).le(1),
		"min_task_uptime":         num(),
	})
}

func datastoreCredentials() sch {
	return obj(kv{
		"mysql": arr(str().match("^[a-zA-Z0-9_-]+$")).unique(),
	}).closed()
}

func lifecycle() sch {
	return obj(kv{
		"pre_stop_command": oneOf(
			str(),
			arr(str()),
		),
		"pre_stop_drain_seconds":                    integer().ge(0),
		"pre_stop_wait_for_connections_to_complete": boolean(),
		"termination_grace_period_seconds":          integer().ge(0),
	})
}

func monitoring() sch {
	return obj(kv{
		"alert_after": oneOf(
			str().match("^[1-9]+[0-9]*[YMWDhms]$"),
			integer().ge(0),
		),
		"page": boolean(),
		"team": str(),
	})
}

func persistentVolumes() sch {
	return arr(obj(kv{
		"container_path":     str(),
		"mode":               str(),
		"size":               integer(),
		"storage_class_name": str(),
	}).closed()).unique()
}

func projectedSaVolumes() sch {
	return arr(obj(kv{
		"audience":           str(),
		"container_path":     str(),
		"expiration_seconds": integer(),
	}).req("container_path", "audience")).unique()
}

func sidecarResourceRequirements() sch {
	return obj(kv{
		"hacheck": hacheckResources(),
	}).closed()
}

func hacheckResources() sch {
	return obj(kv{
		"limits":   sidecarQuantities(),
		"requests": sidecarQuantities(),
	})
}

func sidecarQuantities() sch {
	return obj(kv{
		"cpu":               num().ge(0),
		"ephemeral-storage": str(),
		"memory":            str(),
	}).closed()
}

func drainMethodParams() sch {
	return obj(kv{
		"drain":           anyObject(),
		"is_draining":     anyObject(),
		"is_safe_to_kill": anyObject(),
		"stop_draining":   anyObject(),
	}).req("drain", "stop_draining", "is_draining", "is_safe_to_kill")
}

func ssmSecrets() sch {
	return arr(obj(kv{
		"secret_name": str().match("^[a-zA-Z_]+[a-zA-Z0-9_]*$"),
		"source":      str().match("^[a-zA-Z0-9._/-]+$"),
	}).closed().req("source", "secret_name")).unique()
}

func builtinDocs() map[string]sch {
	return map[string]sch{
		"service":                             serviceSchema(),
		"adhoc":                               adhocSchema(),
		"kubernetes":                          kubernetesSchema(),
		"rollback":                            rollbackSchema(),
		"tron":                                tronSchema(),
		"eks":                                 eksSchema(),
		"smartstack":                          smartstackSchema(),
		"autotuned_defaults/kubernetes":       autotunedKubernetesSchema(),
		"autotuned_defaults/cassandracluster": autotunedCassandraSchema(),
		"deploy":                              deploySchema(),
	}
}
