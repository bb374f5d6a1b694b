package checks

// refRules lists the rules over PaaSTA deploy refs.
// TODO(gitref): the ref.* rules.
func refRules() []*Rule { return nil }
