package channel

import "strings"

// Unsubscribe holds the links that let a recipient leave a topic (see
// package subscription for how they are signed). Links carry a customer
// id in signed form, so like the rest of a Message they are never logged.
type Unsubscribe struct {
	// URL unsubscribes from the message's topic on POST (RFC 8058 one-click)
	// and shows the preference page on GET. Empty for transactional topics,
	// which cannot be left: such mail carries no List-Unsubscribe header.
	URL string
	// PreferencesURL shows the page where every topic can be changed.
	PreferencesURL string
	// Mailto is an optional "mailto:..." URI offered next to URL.
	Mailto string
}

// Mail headers of RFC 2369 and RFC 8058.
const (
	ListUnsubscribeHeader     = "List-Unsubscribe"
	ListUnsubscribePostHeader = "List-Unsubscribe-Post"
	// ListUnsubscribeOneClick is the only value RFC 8058 allows in List-Unsubscribe-Post.
	ListUnsubscribeOneClick = "List-Unsubscribe=One-Click"
)

// mailHeaders are the List-Unsubscribe headers for u: the HTTPS link first
// (mailbox providers use the first one they support), then the mailto, each
// in angle brackets; List-Unsubscribe-Post announces that a POST to the HTTPS
// link unsubscribes without any further step. None without a URL.
func (u *Unsubscribe) mailHeaders() map[string]string {
	if u == nil || u.URL == "" {
		return nil
	}
	links := []string{"<" + u.URL + ">"}
	if u.Mailto != "" {
		links = append(links, "<"+u.Mailto+">")
	}
	return map[string]string{
		ListUnsubscribeHeader:     strings.Join(links, ", "),
		ListUnsubscribePostHeader: ListUnsubscribeOneClick,
	}
}
