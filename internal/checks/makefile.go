package checks

// makefileRules lists the rules over the service's Makefile.
// TODO(makefile): makefile.missing, makefile.tabs, makefile.test,
// makefile.itest, makefile.cook-image, makefile.docker-tag,
// makefile.itest-docker-tag.
func makefileRules() []*Rule { return nil }
