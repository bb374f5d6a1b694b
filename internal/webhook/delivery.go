package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// deliveryMagic starts every delivery task payload. The format is the magic,
// a one-line JSON header, a newline, then the raw body. The raw body is kept
// as-is (not base64 in JSON) so it costs no encoding time on the ack path and
// stays byte-identical to what was signed.
const deliveryMagic = "contractbot-delivery/1\n"

type deliveryHeader struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	ReceivedAt time.Time `json:"received_at"`
}

// DeliveryKey is the [Task.Key] of the task for the delivery with GUID id.
func DeliveryKey(id string) string { return "delivery/" + id }

// Task returns the task the [Intake] enqueues for d: Kind [KindDelivery],
// ID d.ID, Key [DeliveryKey](d.ID).
func (d Delivery) Task() (Task, error) {
	h, err := deliveryPrefix(d.ID, d.Event, d.ReceivedAt)
	if err != nil {
		return Task{}, err
	}
	p := make([]byte, 0, len(h)+len(d.Payload))
	p = append(p, h...)
	p = append(p, d.Payload...)
	return Task{ID: d.ID, Key: DeliveryKey(d.ID), Kind: KindDelivery, Payload: p, EnqueuedAt: d.ReceivedAt}, nil
}

// deliveryPrefix is everything of a delivery task's payload before the body.
// The intake writes it first and reads the body straight after it, so a
// delivery is never copied on the acknowledgement path.
func deliveryPrefix(id, event string, receivedAt time.Time) ([]byte, error) {
	h, err := json.Marshal(deliveryHeader{ID: id, Event: event, ReceivedAt: receivedAt})
	if err != nil {
		return nil, fmt.Errorf("encode delivery header: %w", err)
	}
	p := make([]byte, 0, len(deliveryMagic)+len(h)+1)
	p = append(p, deliveryMagic...)
	p = append(p, h...)
	return append(p, '\n'), nil
}

// ErrNotDelivery is returned by [DecodeDelivery] for a task that is not a
// delivery task or whose payload is corrupt.
var ErrNotDelivery = errors.New("not a delivery task")

// DecodeDelivery reads back the delivery stored in a task of kind
// [KindDelivery].
func DecodeDelivery(t Task) (Delivery, error) {
	if t.Kind != KindDelivery {
		return Delivery{}, fmt.Errorf("%w: kind %q", ErrNotDelivery, t.Kind)
	}
	rest, ok := bytes.CutPrefix(t.Payload, []byte(deliveryMagic))
	if !ok {
		return Delivery{}, fmt.Errorf("%w: missing header", ErrNotDelivery)
	}
	line, body, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return Delivery{}, fmt.Errorf("%w: unterminated header", ErrNotDelivery)
	}
	var h deliveryHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return Delivery{}, fmt.Errorf("%w: header: %w", ErrNotDelivery, err)
	}
	return Delivery{ID: h.ID, Event: h.Event, Payload: body, ReceivedAt: h.ReceivedAt}, nil
}
