// Package rc holds rcemu's vocabulary: the domain types every layer shares, the one error type
// that carries a RingCentral error code from where a fault is found to the one place that writes
// it, and the clock. It imports the standard library only.
package rc

import (
	"errors"
	"fmt"
)

// Error is a RingCentral API error. Handlers and services create it where the fault is found;
// restapi/apierror is the only writer of its wire form.
type Error struct {
	Status     int    // HTTP status
	Code       string // errors[0].errorCode, e.g. "CMN-102"
	TopCode    string // top-level errorCode when the platform puts a symbolic name there ("InvalidParameter")
	Message    string
	Param      string              // parameterName, when the error is about one input
	Permission string              // permissionName, when a permission is missing
	OAuth      string              // RFC 6749 `error` value, set on errors raised by /restapi/oauth/*
	Header     map[string][]string // extra response headers (Allow, Retry-After...)
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s %s (%s)", e.Code, e.Message, e.Param)
	}
	return e.Code + " " + e.Message
}

// ErrUnavailable marks a failure to reach what rcemu stores its state in (a database server
// that is down or unreachable): the platform's answer to that is a 503, not a 500.
var ErrUnavailable = errors.New("storage unavailable")

// AsError returns the *Error inside err, a CMN-201 503 for ErrUnavailable, or a CMN-203
// internal error for anything else, so that driver or programming faults never leak their text
// to a client.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrUnavailable) {
		return &Error{Status: 503, Code: "CMN-201", TopCode: "CMN-201", Message: "Service Temporary Unavailable"}
	}
	return Internal()
}

// IsNotFound reports whether err is a 404 of any code.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 404
}

// Missing is CMN-100: a mandatory parameter is absent.
func Missing(param string) *Error {
	return &Error{Status: 400, Code: "CMN-100", TopCode: "CMN-100", Param: param,
		Message: fmt.Sprintf("Mandatory parameter [%s] not specified", param)}
}

// Invalid is CMN-101: a parameter's value is malformed or out of range.
func Invalid(param string) *Error {
	return &Error{Status: 400, Code: "CMN-101", TopCode: "InvalidParameter", Param: param,
		Message: fmt.Sprintf("Parameter [%s] value is invalid.", param)}
}

// NotFound is CMN-102 with 404: the resource named by a path parameter does not exist or is not
// visible to the caller.
func NotFound(param string) *Error {
	return &Error{Status: 404, Code: "CMN-102", TopCode: "CMN-102", Param: param,
		Message: fmt.Sprintf("Resource for parameter [%s] is not found", param)}
}

// BadReference is CMN-102 with 400: a resource referenced from the body does not exist.
func BadReference(param string) *Error {
	e := NotFound(param)
	e.Status = 400
	return e
}

// BadJSON is CMN-103.
func BadJSON() *Error {
	return &Error{Status: 400, Code: "CMN-103", TopCode: "CMN-103", Message: "JSON can't be parsed."}
}

// CannotParse is CMN-104: a body that could not be read or taken apart (multipart, form).
func CannotParse() *Error {
	return &Error{Status: 400, Code: "CMN-104", TopCode: "CMN-104", Message: "Cannot parse request"}
}

// Internal is CMN-203; the cause is logged, never sent.
func Internal() *Error {
	return &Error{Status: 500, Code: "CMN-203", TopCode: "CMN-203", Message: "Internal Server Error"}
}

// AdminRequired is CMN-402.
func AdminRequired() *Error {
	return &Error{Status: 403, Code: "CMN-402", TopCode: "CMN-402", Message: "Administrator permission required"}
}

// OtherExtension is CMN-419: a non-administrator addressed another extension.
func OtherExtension(permission string) *Error {
	return &Error{Status: 403, Code: "CMN-419", TopCode: "CMN-419", Permission: permission,
		Message: fmt.Sprintf("In order to call this API endpoint for another extension, user needs to have [%s] permission granted with extended scope", permission)}
}

// PathNotFound is the gateway's AGW-404 for a path no operation serves.
func PathNotFound() *Error {
	return &Error{Status: 404, Code: "AGW-404", TopCode: "AGW-404", Message: "Resource not found"}
}

// Unauthorized builds a 401 of the OAU family.
func Unauthorized(code, msg string) *Error {
	top := code
	if code == "OAU-213" {
		top = "TokenInvalid"
	}
	return &Error{Status: 401, Code: code, TopCode: top, Message: msg}
}

// OAuthError builds an error for /restapi/oauth/*, written in the OAuth form.
func OAuthError(status int, oauth, code, msg string) *Error {
	return &Error{Status: status, OAuth: oauth, Code: code, TopCode: code, Message: msg}
}

// AppPermission is the 403 for an app whose permissions lack the operation's x-app-permission.
func AppPermission(permission string) *Error {
	return &Error{Status: 403, Code: "CMN-401", TopCode: "InsufficientPermissions", Permission: permission,
		Message: fmt.Sprintf("In order to call this API endpoint, application needs to have [%s] permission", permission)}
}

// UserPermission is CMN-408: the user's role lacks a permission the operation needs.
func UserPermission(permission string) *Error {
	return &Error{Status: 403, Code: "CMN-408", TopCode: "CMN-408", Permission: permission,
		Message: fmt.Sprintf("In order to call this API endpoint, user needs to have [%s] permission for requested resource.", permission)}
}
