package rc

import (
	"slices"
	"strings"
)

// Role is a user role: the user permissions (the spec's x-user-permission names) it grants. The
// platform's standard roles are built in; a seed may define its own, which are kept in full with
// each extension that holds them, so that export, import and snapshots carry them.
type Role struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description,omitempty"`
	// Admin roles grant every permission for every extension of the account.
	Admin bool `json:"admin,omitempty"`
	// Custom roles grant exactly Permissions; the standard non-admin role grants what is not
	// reserved to administrators.
	Custom      bool     `json:"custom,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// The standard roles' ids, as the platform numbers them.
const (
	RoleSuperAdmin = "1"
	RoleStandard   = "3"
)

// StandardRoles are the roles every account has.
func StandardRoles() []Role {
	return []Role{
		{ID: RoleSuperAdmin, DisplayName: "Super Admin", Description: "Primary company administrator role", Admin: true},
		{ID: RoleStandard, DisplayName: "Standard", Description: "Standard user role"},
	}
}

// StandardRole finds a standard role by id or display name.
func StandardRole(idOrName string) (Role, bool) {
	for _, r := range StandardRoles() {
		if r.ID == idOrName || strings.EqualFold(r.DisplayName, idOrName) || strings.EqualFold(strings.ReplaceAll(r.DisplayName, " ", ""), idOrName) {
			return r, true
		}
	}
	return Role{}, false
}

// AdminPermissions are the user permissions of company administration: the standard user role
// lacks them, so a non-administrator calling an operation that needs one is refused (CMN-408).
var AdminPermissions = []string{
	"AccountAdministration", "AddRemoveDevices", "AddRemoveUsers", "AutoReceptionist", "CallQueueToCallQueue",
	"ConfigureEmergencyMaps", "CostCenterManagement", "EditAccountDevices", "EditAssignedRoles",
	"EditCallQueuePresence", "EditCompanyAnsweringRules", "EditCompanyCallRecordings", "EditCompanyDevices",
	"EditCompanyGreetings", "EditCompanyInfo", "EditCompanyPhoneNumbers", "EditUserRoles", "EmergencyFramework",
	"FullCompanyCallLog", "Groups", "ReadCompanyAnsweringRules", "ReadCompanyDevices", "ReadCompanyGreetings",
	"ReadCompanyPhoneNumbers", "Roles", "Sites", "UserGroups", "Users",
}

// Allows reports whether the role grants permission. A spec requirement may name alternatives
// ("EditUserInfo OR EditUserCredentials"): any one of them is enough.
func (r *Role) Allows(permission string) bool {
	if permission == "" || r.Admin {
		return true
	}
	for _, p := range strings.Split(permission, " OR ") {
		p = strings.TrimSpace(p)
		if r.Custom {
			if slices.Contains(r.Permissions, p) {
				return true
			}
		} else if !slices.Contains(AdminPermissions, p) {
			return true
		}
	}
	return false
}

// RoleOf is the role an extension holds: its own, else the standard role its admin flag implies
// (for data written before roles were kept).
func RoleOf(e Extension) Role {
	if e.Role != nil {
		return *e.Role
	}
	if e.Admin {
		r, _ := StandardRole(RoleSuperAdmin)
		return r
	}
	r, _ := StandardRole(RoleStandard)
	return r
}
