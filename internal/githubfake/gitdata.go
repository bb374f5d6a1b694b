package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The Git Data API's writes (git/create-blob, git/create-tree,
// git/create-commit, git/create-ref, git/update-ref) and git/get-commit.
// Objects are stored exactly as git stores them, so every id the fake
// answers is the one `git hash-object` computes; refs move by GitHub's
// rules: a create of an existing ref and an update that is not a fast
// forward (without force) are refused with 422. Every write needs
// contents: write ([Server.GrantPermission]), as on GitHub.

const gitDataDocs = "https://docs.github.com/rest/git"

func unprocessable(msg, doc string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{"message": msg, "documentation_url": doc}}
}

// gitObjectURL is the API address of object id of r.
func (s *Server) gitObjectURL(r *repo, typ, id string) string {
	return s.apiURL("repos/" + r.owner + "/" + r.name + "/git/" + typ + "s/" + id)
}

func (s *Server) createBlob(p principal, r *repo, body []byte) reply {
	if !s.mayWrite(p, "contents") {
		return notAccessible(gitDataDocs + "/blobs#create-a-blob")
	}
	var in struct {
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", gitDataDocs+"/blobs#create-a-blob")
	}
	data := []byte(in.Content)
	switch in.Encoding {
	case "", "utf-8":
	case "base64":
		var err error
		if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
			return unprocessable("content is not valid Base64", gitDataDocs+"/blobs#create-a-blob")
		}
	default:
		return unprocessable("encoding must be utf-8 or base64", gitDataDocs+"/blobs#create-a-blob")
	}
	id := r.objects.addBlob(data)
	return created(map[string]any{"sha": id, "url": s.gitObjectURL(r, typeBlob, id)})
}

// treeInput is one entry of git/create-tree.
type treeInput struct {
	Path    string  `json:"path"`
	Mode    string  `json:"mode"`
	Type    string  `json:"type"`
	SHA     *string `json:"sha"`
	Content *string `json:"content"`
}

func (s *Server) createTree(p principal, r *repo, body []byte) reply {
	doc := gitDataDocs + "/trees#create-a-tree"
	if !s.mayWrite(p, "contents") {
		return notAccessible(doc)
	}
	var in struct {
		BaseTree string      `json:"base_tree"`
		Tree     []treeInput `json:"tree"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", doc)
	}
	// The base tree's files, flattened; the entries replace or delete
	// paths of it, and the result is written back as nested trees.
	files := map[string]treeEntry{}
	if in.BaseTree != "" {
		if o := r.objects[in.BaseTree]; o == nil || o.typ != typeTree {
			return unprocessable("base_tree is not a valid tree oid", doc)
		}
		r.objects.walkTree(in.BaseTree, "", true, func(path string, e treeEntry) {
			if e.typ() != typeTree {
				files[path] = e
			}
		})
	}
	for _, e := range in.Tree {
		if e.Path == "" || strings.HasPrefix(e.Path, "/") || strings.HasSuffix(e.Path, "/") || strings.Contains(e.Path, "//") {
			return unprocessable("tree.path contains a malformed path component", doc)
		}
		if e.SHA != nil && e.Content != nil {
			return unprocessable("Must supply either tree.sha or tree.content, not both", doc)
		}
		if e.Type != typeBlob || (e.Mode != "100644" && e.Mode != "100755" && e.Mode != "120000") {
			return unprocessable("the fake creates trees of blobs only", doc)
		}
		var id string
		switch {
		case e.Content != nil:
			id = r.objects.addBlob([]byte(*e.Content))
		case e.SHA == nil: // null: delete the path
			delete(files, e.Path)
			continue
		default:
			if o := r.objects[*e.SHA]; o == nil || o.typ != typeBlob {
				return unprocessable("tree.sha "+*e.SHA+" is not a valid blob", doc)
			}
			id = *e.SHA
		}
		name := e.Path[strings.LastIndex(e.Path, "/")+1:]
		files[e.Path] = treeEntry{mode: e.Mode, name: name, sha: id}
	}
	root, err := r.objects.addEntries(files)
	if err != nil {
		return unprocessable(err.Error(), doc)
	}
	entries := []any{}
	r.objects.walkTree(root, "", false, func(path string, e treeEntry) {
		ent := map[string]any{"path": path, "mode": e.mode, "type": e.typ(), "sha": e.sha, "url": s.gitObjectURL(r, e.typ(), e.sha)}
		if e.typ() == typeBlob {
			ent["size"] = len(r.objects[e.sha].data)
		}
		entries = append(entries, ent)
	})
	return created(map[string]any{"sha": root, "url": s.gitObjectURL(r, typeTree, root), "tree": entries, "truncated": false})
}

// addEntries writes files (path -> entry) as nested trees and returns the
// root's id.
func (st store) addEntries(files map[string]treeEntry) (string, error) {
	type dir struct {
		files map[string]treeEntry
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]treeEntry{}, dirs: map[string]*dir{}} }
	root := newDir()
	for path, e := range files {
		parts := strings.Split(path, "/")
		// Every component, the last included: a tree entry named "..",
		// "." or ".git" is one git refuses to check out, and so GitHub
		// refuses to write it.
		for _, part := range parts {
			if part == "." || part == ".." || part == ".git" {
				return "", fmt.Errorf("tree.path %q contains a malformed path component", path)
			}
		}
		d := root
		for _, part := range parts[:len(parts)-1] {
			if _, clash := d.files[part]; clash {
				return "", fmt.Errorf("tree.path %q: %s is a file", path, part)
			}
			if d.dirs[part] == nil {
				d.dirs[part] = newDir()
			}
			d = d.dirs[part]
		}
		if d.dirs[e.name] != nil {
			return "", fmt.Errorf("tree.path %q is a directory", path)
		}
		d.files[e.name] = e
	}
	var write func(d *dir) string
	write = func(d *dir) string {
		var entries []treeEntry
		for _, e := range d.files {
			entries = append(entries, e)
		}
		for name, sub := range d.dirs {
			entries = append(entries, treeEntry{mode: "40000", name: name, sha: write(sub)})
		}
		data, sorted := encodeTree(entries)
		id := hashObject(typeTree, data)
		st[id] = &object{typ: typeTree, data: data, entries: sorted}
		return id
	}
	return write(root), nil
}

// person is an author or committer of git/create-commit.
type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
}

func (s *Server) createCommit(p principal, r *repo, body []byte) reply {
	doc := gitDataDocs + "/commits#create-a-commit"
	if !s.mayWrite(p, "contents") {
		return notAccessible(doc)
	}
	var in struct {
		Message   string   `json:"message"`
		Tree      string   `json:"tree"`
		Parents   []string `json:"parents"`
		Author    *person  `json:"author"`
		Committer *person  `json:"committer"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", doc)
	}
	if o := r.objects[in.Tree]; o == nil || o.typ != typeTree {
		return unprocessable("Tree SHA does not exist", doc)
	}
	for _, par := range in.Parents {
		if o := r.objects[par]; o == nil || o.typ != typeCommit {
			return unprocessable("Parent SHA does not exist or is not a commit object", doc)
		}
	}
	// GitHub's defaults: the author is the authenticated App's bot, now;
	// the committer is the author.
	s.clock++
	author := person{Name: "contractbot-fake[bot]", Email: "contractbot-fake[bot]@users.noreply.github.com",
		Date: time.Unix(s.clock, 0).UTC().Format(time.RFC3339)}
	if in.Author != nil {
		author = *in.Author
	}
	committer := author
	if in.Committer != nil {
		committer = *in.Committer
	}
	sign := func(who person) (string, string, bool) {
		at := time.Unix(s.clock, 0).UTC()
		if who.Date != "" {
			t, err := time.Parse(time.RFC3339, who.Date)
			if err != nil {
				return "", "", false
			}
			at = t
		}
		_, off := at.Zone()
		tz := fmt.Sprintf("%+03d%02d", off/3600, (off%3600)/60)
		return who.Name + " <" + who.Email + "> " + fmt.Sprint(at.Unix()) + " " + tz, at.Format(time.RFC3339), true
	}
	aLine, aDate, okA := sign(author)
	cLine, cDate, okC := sign(committer)
	if !okA || !okC {
		return unprocessable("Invalid date", doc)
	}
	// Exactly what `git commit-tree` writes.
	var b strings.Builder
	b.WriteString("tree " + in.Tree + "\n")
	for _, par := range in.Parents {
		b.WriteString("parent " + par + "\n")
	}
	b.WriteString("author " + aLine + "\ncommitter " + cLine + "\n\n" + in.Message)
	data := []byte(b.String())
	id := hashObject(typeCommit, data)
	r.objects[id] = &object{typ: typeCommit, data: data, tree: in.Tree}
	m := s.commitBody(r, id)
	m["author"] = map[string]any{"name": author.Name, "email": author.Email, "date": aDate}
	m["committer"] = map[string]any{"name": committer.Name, "email": committer.Email, "date": cDate}
	return created(m)
}

// parseCommit reads the parents, author, committer and message of a
// stored commit.
func parseCommit(o *object) (parents []string, author, committer person, message string) {
	head, msg, _ := strings.Cut(string(o.data), "\n\n")
	for _, line := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "parent":
			parents = append(parents, v)
		case "author", "committer":
			who := person{}
			if lt := strings.LastIndex(v, " <"); lt >= 0 {
				who.Name = v[:lt]
				rest := v[lt+2:]
				if gt := strings.Index(rest, "> "); gt >= 0 {
					who.Email = rest[:gt]
					var unix int64
					var tz string
					if _, err := fmt.Sscanf(rest[gt+2:], "%d %s", &unix, &tz); err == nil {
						who.Date = time.Unix(unix, 0).UTC().Format(time.RFC3339)
					}
				}
			}
			if k == "author" {
				author = who
			} else {
				committer = who
			}
		}
	}
	return parents, author, committer, msg
}

// commitBody is the git-commit answer for commit id (s.mu held).
func (s *Server) commitBody(r *repo, id string) map[string]any {
	o := r.objects[id]
	parents, author, committer, msg := parseCommit(o)
	m := s.exampleValue("git-commit")
	m["sha"] = id
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("Commit:" + id))
	m["url"] = s.gitObjectURL(r, typeCommit, id)
	m["html_url"] = "https://github.com/" + r.owner + "/" + r.name + "/commit/" + id
	m["message"] = msg
	m["tree"] = map[string]any{"sha": o.tree, "url": s.gitObjectURL(r, typeTree, o.tree)}
	ps := []any{}
	for _, par := range parents {
		ps = append(ps, map[string]any{"sha": par, "url": s.gitObjectURL(r, typeCommit, par),
			"html_url": "https://github.com/" + r.owner + "/" + r.name + "/commit/" + par})
	}
	m["parents"] = ps
	m["author"] = map[string]any{"name": author.Name, "email": author.Email, "date": author.Date}
	m["committer"] = map[string]any{"name": committer.Name, "email": committer.Email, "date": committer.Date}
	return m
}

func (s *Server) getCommit(r *repo, id string) reply {
	if o := r.objects[id]; o == nil || o.typ != typeCommit {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.commitBody(r, id))
}

// descends reports whether commit id has ancestor among its ancestors (or
// is it).
func (st store) descends(id, ancestor string) bool {
	seen := map[string]bool{}
	todo := []string{id}
	for len(todo) > 0 {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if c == ancestor {
			return true
		}
		if seen[c] || st[c] == nil || st[c].typ != typeCommit {
			continue
		}
		seen[c] = true
		parents, _, _, _ := parseCommit(st[c])
		todo = append(todo, parents...)
	}
	return false
}

// refBody is the git-ref answer for branch (s.mu held).
func (s *Server) refBody(r *repo, branch string) map[string]any {
	sha := r.branches[branch]
	m := s.exampleValue("git-ref")
	m["ref"] = "refs/heads/" + branch
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("Ref:heads/" + branch))
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/git/refs/heads/" + branch)
	m["object"] = map[string]any{"type": "commit", "sha": sha, "url": s.gitObjectURL(r, typeCommit, sha)}
	return m
}

func (s *Server) createRef(p principal, r *repo, body []byte) reply {
	doc := gitDataDocs + "/refs#create-a-reference"
	if !s.mayWrite(p, "contents") {
		return notAccessible(doc)
	}
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", doc)
	}
	branch, ok := strings.CutPrefix(in.Ref, "refs/heads/")
	if !ok || branch == "" || strings.Count(in.Ref, "/") < 2 {
		return unprocessable("Reference name must start with 'refs/' and have at least two slashes; the fake creates branches only", doc)
	}
	if o := r.objects[in.SHA]; o == nil || o.typ != typeCommit {
		return unprocessable("Object does not exist", doc)
	}
	if _, exists := r.branches[branch]; exists {
		return unprocessable("Reference already exists", doc)
	}
	if refused, ok := refusedAsProtected(r, branch, doc); ok {
		return refused
	}
	r.branches[branch] = in.SHA
	return created(s.refBody(r, branch))
}

func (s *Server) updateRef(p principal, r *repo, ref string, body []byte) reply {
	doc := gitDataDocs + "/refs#update-a-reference"
	if !s.mayWrite(p, "contents") {
		return notAccessible(doc)
	}
	var in struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", doc)
	}
	branch, isHead := strings.CutPrefix(ref, "heads/")
	old, exists := r.branches[branch]
	if !isHead || !exists {
		return unprocessable("Reference does not exist", doc)
	}
	if o := r.objects[in.SHA]; o == nil || o.typ != typeCommit {
		return unprocessable("Object does not exist", doc)
	}
	if refused, ok := refusedAsProtected(r, branch, doc); ok {
		return refused
	}
	if !in.Force && !r.objects.descends(in.SHA, old) {
		return unprocessable("Update is not a fast forward", doc)
	}
	r.branches[branch] = in.SHA
	return ok(s.refBody(r, branch))
}

// Commit returns the parents, committer ("Name <email>") and message of
// commit id of owner/repo, for tests that check what the App committed.
func (s *Server) Commit(owner, repo, id string) (parents []string, committer, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.objects[id] == nil || r.objects[id].typ != typeCommit {
		s.t.Fatalf("githubfake: Commit: %s/%s has no commit %q", owner, repo, id)
		return nil, "", ""
	}
	parents, _, c, msg := parseCommit(r.objects[id])
	return parents, c.Name + " <" + c.Email + ">", msg
}

// Branch returns the commit branch of owner/repo points at, or "".
func (s *Server) Branch(owner, repo, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[strings.ToLower(owner+"/"+repo)]; r != nil {
		return r.branches[branch]
	}
	return ""
}

// FileAt returns the content of path in commit id of owner/repo, and
// whether it is there.
func (s *Server) FileAt(owner, repo, id, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.objects[id] == nil {
		return "", false
	}
	blob, found := blobsAt(r, id)[path]
	if !found {
		return "", false
	}
	return string(r.objects[blob].data), true
}
