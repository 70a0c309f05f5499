package api

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
)

// Roles and permissions: the roles an account's users hold, which the conventions layer checks
// every operation's x-user-permission against, and the authorization profile apps read to learn
// what their user may do.

func (h *Handlers) registerRoles(rt *restapi.Router) {
	acc := v1 + "/account/{accountId}"
	ext := acc + "/extension/{extensionId}"
	h.routes = rt
	rt.Handle("GET", v1+"/dictionary/user-role", h.listStandardRoles, restapi.Options{})
	rt.Handle("GET", v1+"/dictionary/user-role/{roleId}", h.readStandardRole, restapi.Options{})
	rt.Handle("GET", acc+"/user-role", h.listAccountRoles, restapi.Options{})
	rt.Handle("GET", acc+"/user-role/{roleId}", h.readAccountRole, restapi.Options{})
	rt.Handle("GET", acc+"/assigned-role", h.listAssignedRoles, restapi.Options{})
	rt.Handle("GET", ext+"/assigned-role", h.readAssignedRoles, restapi.Options{Permission: "ReadAssignedRoles"})
	rt.Handle("PUT", ext+"/assigned-role", h.updateAssignedRoles, restapi.Options{Permission: "EditAssignedRoles"})
	rt.Handle("PUT", ext+"/assigned-role/default", h.assignDefaultRole, restapi.Options{Permission: "Users"})
	rt.Handle("GET", ext+"/authz-profile", h.readAuthzProfile, restapi.Options{Permission: "ReadExtensions"})
	rt.Handle("GET", ext+"/authz-profile/check", h.checkUserPermission, restapi.Options{Permission: "ReadExtensions"})
}

type roleResource struct {
	URI         string          `json:"uri"`
	ID          string          `json:"id"`
	DisplayName string          `json:"displayName"`
	Description string          `json:"description,omitempty"`
	Custom      bool            `json:"custom"`
	Scope       string          `json:"scope"`
	Hidden      bool            `json:"hidden"`
	Permissions []permissionRef `json:"permissions"`
}

type permissionRef struct {
	URI            string `json:"uri"`
	ID             string `json:"id"`
	SiteCompatible string `json:"siteCompatible"`
	ReadOnly       bool   `json:"readOnly"`
	Assignable     bool   `json:"assignable"`
}

type assignedRole struct {
	URI            string `json:"uri"`
	ID             string `json:"id"`
	AutoAssigned   bool   `json:"autoAssigned"`
	DisplayName    string `json:"displayName"`
	SiteCompatible bool   `json:"siteCompatible"`
	SiteRestricted bool   `json:"siteRestricted"`
}

type assignedRoles struct {
	URI     string         `json:"uri"`
	Records []assignedRole `json:"records"`
}

func (h *Handlers) permissionRef(r *restapi.Request, p string) permissionRef {
	return permissionRef{URI: r.URI(v1 + "/dictionary/permission/" + p), ID: p, SiteCompatible: "Compatible", Assignable: true}
}

func (h *Handlers) roleResource(r *restapi.Request, base string, role rc.Role) roleResource {
	scope := "Self"
	if role.Admin {
		scope = "Account"
	}
	out := roleResource{URI: r.URI(base + "/" + role.ID), ID: role.ID, DisplayName: role.DisplayName,
		Description: role.Description, Custom: role.Custom, Scope: scope, Permissions: []permissionRef{}}
	for _, p := range h.permissionNames() {
		if role.Allows(p) {
			out.Permissions = append(out.Permissions, h.permissionRef(r, p))
		}
	}
	return out
}

// permissionNames are the user permissions the operations name (the spec's x-user-permission,
// read off the router once every operation is registered), and the administrative ones.
func (h *Handlers) permissionNames() []string {
	h.permsOnce.Do(func() {
		set := map[string]bool{}
		for _, p := range rc.AdminPermissions {
			set[p] = true
		}
		if h.routes != nil {
			for _, rt := range h.routes.Routes() {
				for _, p := range splitAlternatives(rt.UserPermission) {
					set[p] = true
				}
			}
		}
		for p := range set {
			h.perms = append(h.perms, p)
		}
		sort.Strings(h.perms)
	})
	return h.perms
}

func splitAlternatives(need string) []string {
	var out []string
	for _, p := range strings.Split(need, " OR ") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (h *Handlers) listRoles(w http.ResponseWriter, r *restapi.Request, base string, roles []rc.Role) error {
	p, err := paging.Parse(r.Query)
	if err != nil {
		return err
	}
	total := len(roles)
	from := min(p.Offset(), total)
	to := min(from+p.PerPage, total)
	records := make([]roleResource, 0, to-from)
	for _, role := range roles[from:to] {
		records = append(records, h.roleResource(r, base, role))
	}
	return list(w, r, base, effective(r), p, total, records)
}

func (h *Handlers) listStandardRoles(w http.ResponseWriter, r *restapi.Request) error {
	return h.listRoles(w, r, v1+"/dictionary/user-role", rc.StandardRoles())
}

func (h *Handlers) readStandardRole(w http.ResponseWriter, r *restapi.Request) error {
	role, ok := rc.StandardRole(r.Param("roleId"))
	if !ok || role.ID != r.Param("roleId") {
		return rc.NotFound("roleId")
	}
	return restapi.JSON(w, 200, h.roleResource(r, v1+"/dictionary/user-role", role))
}

func accountRolesBase(r *restapi.Request) string {
	return v1 + "/account/" + id(r.AccountID) + "/user-role"
}

func (h *Handlers) listAccountRoles(w http.ResponseWriter, r *restapi.Request) error {
	roles, err := h.Directory.Roles(r.Context(), r.AccountID)
	if err != nil {
		return err
	}
	return h.listRoles(w, r, accountRolesBase(r), roles)
}

func (h *Handlers) readAccountRole(w http.ResponseWriter, r *restapi.Request) error {
	role, err := h.Directory.Role(r.Context(), r.AccountID, r.Param("roleId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, h.roleResource(r, accountRolesBase(r), role))
}

func (h *Handlers) assignedRolesOf(r *restapi.Request, e rc.Extension) assignedRoles {
	role := rc.RoleOf(e)
	base := v1 + "/account/" + id(e.AccountID) + "/extension/" + id(e.ID) + "/assigned-role"
	return assignedRoles{URI: r.URI(base), Records: []assignedRole{{URI: r.URI(accountRolesBase(r) + "/" + role.ID),
		ID: role.ID, DisplayName: role.DisplayName, SiteCompatible: true}}}
}

func (h *Handlers) readAssignedRoles(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, h.assignedRolesOf(r, e))
}

func (h *Handlers) listAssignedRoles(w http.ResponseWriter, r *restapi.Request) error {
	exts, err := h.Directory.AllExtensions(r.Context(), r.AccountID)
	if err != nil {
		return err
	}
	type extensionWithRoles struct {
		URI         string         `json:"uri"`
		ExtensionID string         `json:"extensionId"`
		Roles       []assignedRole `json:"roles"`
	}
	var users []rc.Extension
	for _, e := range exts {
		if e.Type == "User" || e.Role != nil || e.Admin {
			users = append(users, e)
		}
	}
	p, err := paging.Parse(r.Query)
	if err != nil {
		return err
	}
	from := min(p.Offset(), len(users))
	to := min(from+p.PerPage, len(users))
	records := make([]extensionWithRoles, 0, to-from)
	for _, e := range users[from:to] {
		a := h.assignedRolesOf(r, e)
		records = append(records, extensionWithRoles{URI: a.URI, ExtensionID: id(e.ID), Roles: a.Records})
	}
	return list(w, r, v1+"/account/"+id(r.AccountID)+"/assigned-role", effective(r), p, len(users), records)
}

// updateAssignedRoles gives the extension the one role its body names: a user holds one role.
func (h *Handlers) updateAssignedRoles(w http.ResponseWriter, r *restapi.Request) error {
	var body struct {
		Records []struct {
			ID string `json:"id"`
		} `json:"records"`
	}
	if err := r.DecodeJSON(&body); err != nil {
		return err
	}
	if len(body.Records) == 0 {
		return rc.Missing("records")
	}
	if len(body.Records) > 1 {
		e := rc.Invalid("records")
		e.Message = "A user holds one role: [records] must name exactly one"
		return e
	}
	if body.Records[0].ID == "" {
		return rc.Missing("records.id")
	}
	e, err := h.Directory.AssignRole(r.Context(), r.AccountID, r.ExtensionID, body.Records[0].ID)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, h.assignedRolesOf(r, e))
}

func (h *Handlers) assignDefaultRole(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.Directory.AssignRole(r.Context(), r.AccountID, r.ExtensionID, rc.RoleStandard)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, h.assignedRolesOf(r, e))
}

type activePermission struct {
	Permission    permissionRef `json:"permission"`
	EffectiveRole struct {
		URI string `json:"uri"`
		ID  string `json:"id"`
	} `json:"effectiveRole"`
	Scopes []string `json:"scopes"`
}

func (h *Handlers) activePermission(r *restapi.Request, role rc.Role, p string) activePermission {
	a := activePermission{Permission: h.permissionRef(r, p), Scopes: []string{"Self"}}
	if role.Admin {
		a.Scopes = []string{"Account", "AllExtensions", "Self"}
	}
	a.EffectiveRole.URI = r.URI(accountRolesBase(r) + "/" + role.ID)
	a.EffectiveRole.ID = role.ID
	return a
}

// authzSubject is the extension whose profile is read; targetExtensionId, when given, must be an
// extension of the account.
func (h *Handlers) authzSubject(r *restapi.Request) (rc.Role, error) {
	e, err := h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID)
	if err != nil {
		return rc.Role{}, err
	}
	if t := r.Query.Get("targetExtensionId"); t != "" {
		tid, err := parseID(t, "targetExtensionId")
		if err != nil {
			return rc.Role{}, err
		}
		if _, err := h.Directory.Extension(r.Context(), r.AccountID, tid); err != nil {
			return rc.Role{}, rc.NotFound("targetExtensionId")
		}
	}
	return rc.RoleOf(e), nil
}

func (h *Handlers) readAuthzProfile(w http.ResponseWriter, r *restapi.Request) error {
	role, err := h.authzSubject(r)
	if err != nil {
		return err
	}
	out := struct {
		URI         string             `json:"uri"`
		Permissions []activePermission `json:"permissions"`
	}{URI: r.URI(v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/authz-profile"),
		Permissions: []activePermission{}}
	for _, p := range h.permissionNames() {
		if role.Allows(p) {
			out.Permissions = append(out.Permissions, h.activePermission(r, role, p))
		}
	}
	return restapi.JSON(w, 200, out)
}

func (h *Handlers) checkUserPermission(w http.ResponseWriter, r *restapi.Request) error {
	perm := r.Query.Get("permissionId")
	if perm == "" {
		return rc.Missing("permissionId")
	}
	if !slices.Contains(h.permissionNames(), perm) {
		return rc.Invalid("permissionId")
	}
	role, err := h.authzSubject(r)
	if err != nil {
		return err
	}
	out := struct {
		URI        string            `json:"uri"`
		Successful bool              `json:"successful"`
		Details    *activePermission `json:"details,omitempty"`
	}{URI: r.URI(v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/authz-profile/check?permissionId=" + perm)}
	if role.Allows(perm) {
		out.Successful = true
		a := h.activePermission(r, role, perm)
		out.Details = &a
	}
	return restapi.JSON(w, 200, out)
}

// rolesState is what the role handlers keep between calls.
type rolesState struct {
	routes    *restapi.Router
	permsOnce sync.Once
	perms     []string
}
