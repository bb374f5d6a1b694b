package gitmirror

// KillReader stops the mirror's git cat-file as if it had died, leaving
// the mirror to notice.
func (h *Handle) KillReader() {
	if s := h.currentStore(); s != nil {
		s.Close()
	}
}
