package directory

import (
	"context"

	"github.com/rcemu/rcemu/internal/rc"
)

// Roles lists the roles an account's users may hold: the standard ones, then the account's own.
func (s *Service) Roles(ctx context.Context, accountID int64) ([]rc.Role, error) {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return append(rc.StandardRoles(), a.Roles...), nil
}

// AllExtensions lists every extension of the account.
func (s *Service) AllExtensions(ctx context.Context, accountID int64) ([]rc.Extension, error) {
	exts, _, err := s.ListExtensions(ctx, ExtensionFilter{AccountID: accountID})
	return exts, err
}

// Role finds one of the account's roles by id; 404 CMN-102 naming roleId otherwise.
func (s *Service) Role(ctx context.Context, accountID int64, id string) (rc.Role, error) {
	roles, err := s.Roles(ctx, accountID)
	if err != nil {
		return rc.Role{}, err
	}
	for _, r := range roles {
		if r.ID == id {
			return r, nil
		}
	}
	return rc.Role{}, rc.NotFound("roleId")
}

// AssignRole gives an extension one of its account's roles. Its admin flag follows the role, so
// that what the extension may reach changes with it; callers' cached principals follow through
// the store's extension generation.
func (s *Service) AssignRole(ctx context.Context, accountID, id int64, roleID string) (rc.Extension, error) {
	role, err := s.Role(ctx, accountID, roleID)
	if err != nil {
		if e, ok := err.(*rc.Error); ok && e.Status == 404 {
			return rc.Extension{}, rc.Invalid("records.id")
		}
		return rc.Extension{}, err
	}
	e, err := s.Extension(ctx, accountID, id)
	if err != nil {
		return e, err
	}
	if e.Role != nil && e.Role.ID == role.ID {
		return e, nil
	}
	e.Role, e.Admin = &role, role.Admin
	if err := s.store.UpdateExtension(ctx, e); err != nil {
		return e, err
	}
	if s.bus != nil {
		cp := e
		s.bus.Publish(rc.Event{Kind: "extension", AccountID: e.AccountID, ExtensionID: e.ID, Time: s.clock.Now(), Extension: &cp})
	}
	return e, nil
}
