package tron

import "slices"

// Action is an action of a job, as far as the graph of its requires goes.
type Action struct {
	Name     string
	Requires []string
}

// RequiresError is a problem of a job's action graph: an action that
// requires one the job does not have (Missing), or a cycle of requires
// (Cycle, from an action back to itself: [a b a]; [a a] for an action
// that requires itself). Action is the action whose requires is at fault.
type RequiresError struct {
	Action  string
	Missing string
	Cycle   []string
}

// CheckRequires finds every action that requires one the job does not
// have, and every cycle (once, starting from its first action in the
// order given), which Tron both rejects.
func CheckRequires(actions []Action) []RequiresError {
	index := make(map[string]int, len(actions))
	for i, a := range actions {
		if _, dup := index[a.Name]; !dup {
			index[a.Name] = i
		}
	}
	var out []RequiresError
	for _, a := range actions {
		for _, r := range a.Requires {
			if _, ok := index[r]; !ok {
				out = append(out, RequiresError{Action: a.Name, Missing: r})
			}
		}
	}
	// Depth-first search; a back edge closes a cycle. Each action is
	// finished once, so each cycle is found from the first action on it
	// that the search reaches.
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(actions))
	var path []int
	var visit func(int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		for _, r := range actions[i].Requires {
			j, ok := index[r]
			if !ok {
				continue
			}
			switch state[j] {
			case onPath:
				k := slices.Index(path, j)
				var cycle []string
				for _, p := range path[k:] {
					cycle = append(cycle, actions[p].Name)
				}
				out = append(out, RequiresError{Action: actions[i].Name, Cycle: append(cycle, actions[j].Name)})
			case unseen:
				visit(j)
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range actions {
		if state[i] == unseen {
			visit(i)
		}
	}
	return out
}
