package githubfake

// FilesOf converts the files of a generated repository (soatest.File and
// the like: anything with Path and Content) for [Server.PushFiles].
func FilesOf[F interface {
	~struct{ Path, Content string }
}](files []F) []File {
	out := make([]File, len(files))
	for i, f := range files {
		g := struct{ Path, Content string }(f)
		out[i] = File{Path: g.Path, Content: g.Content}
	}
	return out
}
