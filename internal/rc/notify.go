package rc

import "time"

// DeliveryMode says how a subscription's notifications travel.
type DeliveryMode struct {
	TransportType     string `json:"transportType"` // WebHook or WebSocket
	Address           string `json:"address,omitempty"`
	VerificationToken string `json:"verificationToken,omitempty"`
}

// Subscription is a client's subscription to event filters.
type Subscription struct {
	ID           string       `json:"id"`
	AccountID    int64        `json:"accountId"`
	ExtensionID  int64        `json:"extensionId"`
	ClientID     string       `json:"clientId"`
	SessionID    string       `json:"sessionId,omitempty"` // the OAuth session, for WebSocket subscriptions
	EventFilters []string     `json:"eventFilters"`        // with ~ expanded
	DeliveryMode DeliveryMode `json:"deliveryMode"`
	Status       string       `json:"status"` // Active or Blacklisted
	CreationTime time.Time    `json:"creationTime"`
	ExpiresIn    int          `json:"expiresIn"`
	Expiration   time.Time    `json:"expirationTime"`
	// WSSession binds a WebSocket subscription to its gateway session.
	WSSession       string     `json:"wsSession,omitempty"`
	BlacklistedAt   *time.Time `json:"blacklistedAt,omitempty"`
	BlacklistReason string     `json:"blacklistReason,omitempty"`
}

// Delivery is one WebHook notification in the durable outbox.
type Delivery struct {
	ID             int64
	SubscriptionID string
	Body           []byte
	Created        time.Time
	Next           time.Time
	Attempts       int
	State          string // pending, delivered, failed, dropped (its subscription is gone)
}

// Presence is an extension's presence settings.
type Presence struct {
	ExtensionID         int64  `json:"extensionId"`
	UserStatus          string `json:"userStatus"` // Offline, Busy, Available
	DndStatus           string `json:"dndStatus"`  // TakeAllCalls, DoNotAcceptAnyCalls, ...
	Message             string `json:"message,omitempty"`
	AllowSeeMyPresence  bool   `json:"allowSeeMyPresence"`
	RingOnMonitoredCall bool   `json:"ringOnMonitoredCall"`
	PickUpCallsOnHold   bool   `json:"pickUpCallsOnHold"`
	Sequence            int64  `json:"sequence"`
}

// DefaultPresence is an extension's presence until it changes.
func DefaultPresence(extensionID int64) Presence {
	return Presence{ExtensionID: extensionID, UserStatus: "Available", DndStatus: "TakeAllCalls", AllowSeeMyPresence: true}
}
