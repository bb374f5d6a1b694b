// Package makefile answers, without running anything, what GNU make 4.x
// would answer about a Makefile read with an empty environment and no
// command-line variables: its variables, its rules and their recipes.
//
// Parsing ([ParseFile]) turns text into positioned statements; evaluation
// ([Analyze], [Evaluator]) reads them as make does, with every side effect
// ($(shell), !=, $(file), load) disabled and every file read going through
// an [io/fs.FS] that the analysis can never leave.
package makefile
