package rctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/coder/websocket"
)

// OpenWSSession does what @rc-ex/ws does to listen: it gets a ws token, connects, reads
// ConnectionDetails and subscribes to filter with a ClientRequest frame.
func OpenWSSession(ctx context.Context, base, token, filter string) (*websocket.Conn, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/restapi/oauth/wstoken", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	var tok struct {
		Token string `json:"ws_access_token"`
		URI   string `json:"uri"`
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || json.Unmarshal(b, &tok) != nil {
		return nil, fmt.Errorf("wstoken: %d %s", res.StatusCode, b)
	}
	c, _, err := websocket.Dial(ctx, tok.URI+"?access_token="+url.QueryEscape(tok.Token), nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	if _, first, err := c.Read(ctx); err != nil || !bytes.Contains(first, []byte(`"ConnectionDetails"`)) {
		c.CloseNow()
		return nil, fmt.Errorf("first frame: %s %v", first, err)
	}
	frame, _ := json.Marshal([]any{
		map[string]any{"type": "ClientRequest", "messageId": "perf-subscribe", "method": "POST", "path": "/restapi/v1.0/subscription"},
		map[string]any{"eventFilters": []string{filter}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}})
	if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
		c.CloseNow()
		return nil, err
	}
	_, reply, err := c.Read(ctx)
	if err != nil || !bytes.Contains(reply, []byte(`"status":200`)) {
		c.CloseNow()
		return nil, fmt.Errorf("subscribe: %s %v", reply, err)
	}
	return c, nil
}
