package gitmirror

import "context"

// KillReader stops the mirror's git cat-file as if it had died, leaving
// the mirror to notice.
func (h *Handle) KillReader() {
	if s := h.currentStore(); s != nil {
		s.Close()
	}
}

// OnEvicting makes evict call f once it has chosen its victims and let
// go of the manager's lock, before it deletes them: where another Open
// may come.
func (m *Manager) OnEvicting(f func()) { m.evicting = f }

// Lock takes the mirror's write lock, as a long fetch holds it.
func (h *Handle) Lock(ctx context.Context) error { return h.lock(ctx) }

// Unlock gives back what Lock took.
func (h *Handle) Unlock() { h.unlock() }
