package gitmirror

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
