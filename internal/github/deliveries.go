package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// HookDelivery is one attempt in the App's webhook delivery log
// (GET /app/hook/deliveries). A redelivery is a new entry with the same
// GUID and Redelivery set.
type HookDelivery struct {
	ID          int64     `json:"id"`
	GUID        string    `json:"guid"`
	DeliveredAt time.Time `json:"delivered_at"`
	Redelivery  bool      `json:"redelivery"`
	Status      string    `json:"status"`
	StatusCode  int       `json:"status_code"`
	Event       string    `json:"event"`
	Action      *string   `json:"action"`
}

// OK reports whether GitHub counts the attempt as delivered: the receiver
// answered 2xx.
func (d HookDelivery) OK() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// MaxDeliveriesPerPage is the largest page GitHub serves of the delivery
// log (per_page; https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook).
const MaxDeliveriesPerPage = 100

// ListDeliveries returns one page of the App's webhook delivery log, newest
// first, and the cursor of the next (older) page, "" on the last page.
// Pass "" as cursor for the newest page.
func (a *Apps) ListDeliveries(ctx context.Context, cursor string, perPage int) ([]HookDelivery, string, error) {
	q := url.Values{"per_page": {strconv.Itoa(min(max(perPage, 1), MaxDeliveriesPerPage))}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var page []HookDelivery
	h, err := a.doHeader(ctx, a.app, http.MethodGet, "app/hook/deliveries?"+q.Encode(), nil, &page)
	if err != nil {
		return nil, "", fmt.Errorf("list webhook deliveries: %w", err)
	}
	return page, nextCursor(h.Get("Link")), nil
}

// Redeliver asks GitHub to send delivery id again
// (POST /app/hook/deliveries/{id}/attempts). GitHub answers 202 and sends
// it with the original GUID, so a receiver that stored the first attempt
// drops the second as a duplicate.
func (a *Apps) Redeliver(ctx context.Context, id int64) error {
	if err := a.do(ctx, a.app, http.MethodPost, "app/hook/deliveries/"+strconv.FormatInt(id, 10)+"/attempts", nil, nil); err != nil {
		return fmt.Errorf("redeliver webhook delivery %d: %w", id, err)
	}
	return nil
}

var nextLink = regexp.MustCompile(`<([^>]*)>;\s*rel="next"`)

// nextCursor extracts the cursor query parameter of the rel="next" link.
func nextCursor(link string) string {
	m := nextLink.FindStringSubmatch(link)
	if m == nil {
		return ""
	}
	u, err := url.Parse(m[1])
	if err != nil {
		return ""
	}
	return u.Query().Get("cursor")
}
