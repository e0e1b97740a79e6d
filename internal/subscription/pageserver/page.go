package pageserver

import (
	"html/template"
	"net/http"
)

// pageTopic is one row of the preference page.
type pageTopic struct {
	Name, Description string
	Subscribed        bool
	Transactional     bool
}

// pageData fills pageTemplate. It holds no customer data: the page is
// reached through a signed link and shows topics only.
type pageData struct {
	Message string
	Action  string
	Topics  []pageTopic
}

// pageTemplate works without JavaScript: a plain form POSTs the checkboxes
// back. html/template escapes every value.
var pageTemplate = template.Must(template.New("preferences").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Your message preferences</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}label{display:block;margin:.5em 0}</style>
</head><body>
<h1>Your message preferences</h1>
{{with .Message}}<p role="status">{{.}}</p>{{end}}
{{if .Action}}<form method="post" action="{{.Action}}">
{{range .Topics}}<input type="hidden" name="shown" value="{{.Name}}">
<label><input type="checkbox" name="topic" value="{{.Name}}"{{if .Subscribed}} checked{{end}}{{if .Transactional}} disabled{{end}}> {{.Name}}{{with .Description}}: {{.}}{{end}}{{if .Transactional}} (always sent: needed for your orders and account){{end}}</label>
{{end}}<button type="submit">Save</button>
</form>{{end}}
</body></html>
`))

// writePage answers with the page; the headers keep the signed link out of
// Referer headers, caches and frames.
func writePage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d) //nolint:errcheck // the status is sent; a broken connection is the client's
}
