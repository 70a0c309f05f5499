package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/teammessaging"
)

var _ teammessaging.Store = (*DB)(nil)

func (db *DB) ReserveChatIDs(ctx context.Context, n int) (int64, error) {
	var first int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ('tm-chat', ?)
			ON CONFLICT (name) DO UPDATE SET value = counters.value + ? RETURNING value`, 1+n, n).Scan(&first); err != nil {
			return err
		}
		first -= int64(n)
		return nil
	})
	return first, err
}

func chatDoc(c teammessaging.Chat) (string, error) {
	c.Members = nil
	b, err := json.Marshal(c)
	return string(b), err
}

func insertMembers(ctx context.Context, tx *sql.Tx, chatID string, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tm_members (chat_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, chatID, id); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (db *DB) InsertChat(ctx context.Context, c teammessaging.Chat) error {
	data, err := chatDoc(c)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tm_chats (id, account_id, type, public, member_key, data) VALUES (?, ?, ?, ?, ?, ?)`,
			c.ID, c.AccountID, c.Type, boolInt(c.Public && c.Type == teammessaging.Team), c.Key, data); err != nil {
			if isUnique(err) {
				return teammessaging.ErrConflict
			}
			return err
		}
		return insertMembers(ctx, tx, c.ID, c.Members)
	})
}

func (db *DB) chatByQuery(ctx context.Context, query string, args ...any) (teammessaging.Chat, error) {
	c, err := getJSON[teammessaging.Chat](ctx, db.r, query, args...)
	if err != nil {
		return c, err
	}
	c.Members, err = db.Members(ctx, c.ID)
	return c, err
}

func (db *DB) Chat(ctx context.Context, id string) (teammessaging.Chat, error) {
	return db.chatByQuery(ctx, `SELECT data FROM tm_chats WHERE id = ?`, id)
}

func (db *DB) ConversationByKey(ctx context.Context, accountID int64, key string) (teammessaging.Chat, error) {
	return db.chatByQuery(ctx, `SELECT data FROM tm_chats WHERE account_id = ? AND member_key = ?`, accountID, key)
}

func (db *DB) UpdateChat(ctx context.Context, c teammessaging.Chat) error {
	data, err := chatDoc(c)
	if err != nil {
		return err
	}
	res, err := db.w.ExecContext(ctx, `UPDATE tm_chats SET public = ?, data = ? WHERE id = ?`,
		boolInt(c.Public && c.Type == teammessaging.Team), data, c.ID)
	return affected(res, err)
}

// affected turns an UPDATE or DELETE that touched nothing into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return err
		}
		return teammessaging.ErrNotFound
	}
	return nil
}

func (db *DB) DeleteChat(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM tm_posts WHERE chat_id = ?`, `DELETE FROM tm_favorites WHERE chat_id = ?`,
			`DELETE FROM tm_items WHERE chat_id = ?`,
			`DELETE FROM tm_members WHERE chat_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tm_chats WHERE id = ?`, id)
		if err := affected(res, err); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangePost, "")
	})
	db.posts.clear()
	return err
}

// AddMembers adds members to a stored chat; ErrNotFound if it was deleted meanwhile.
func (db *DB) AddMembers(ctx context.Context, chatID string, ids []int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tm_chats WHERE id = ?`, chatID).Scan(&one); err != nil {
			return notFound(err)
		}
		return insertMembers(ctx, tx, chatID, ids)
	})
}

func (db *DB) RemoveMembers(ctx context.Context, chatID string, ids []int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tm_members WHERE chat_id = ? AND person_id = ?`, chatID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) IsMember(ctx context.Context, chatID string, personID int64) (bool, error) {
	var one int
	err := db.r.QueryRowContext(ctx, `SELECT 1 FROM tm_members WHERE chat_id = ? AND person_id = ?`, chatID, personID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

func (db *DB) ChatsOf(ctx context.Context, accountID, personID int64) ([]teammessaging.Chat, error) {
	out, _, err := listJSON[teammessaging.Chat](ctx, db.r, `SELECT data, 0 FROM tm_chats WHERE id IN (
			SELECT chat_id FROM tm_members WHERE person_id = ?
			UNION SELECT id FROM tm_chats WHERE account_id = ? AND type = 'Team' AND public = 1)
		AND account_id = ?`, personID, accountID, accountID)
	return out, err
}

func (db *DB) Members(ctx context.Context, chatID string) ([]int64, error) {
	return db.ids(ctx, `SELECT person_id FROM tm_members WHERE chat_id = ? ORDER BY rowid`, chatID)
}

func (db *DB) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func postDoc(p teammessaging.Post) (string, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

func (db *DB) InsertPost(ctx context.Context, p *teammessaging.Post) error {
	data, err := postDoc(*p)
	if err != nil {
		return err
	}
	// The document is written without its id, which comes from the row; reads add it back.
	if err := db.w.QueryRowContext(ctx, `INSERT INTO tm_posts (chat_id, thread_id, data) VALUES (?, ?, ?) RETURNING num`,
		p.ChatID, p.ThreadID, data).Scan(&p.Num); err != nil {
		return err
	}
	p.ID = strconv.FormatInt(p.Num, 10)
	return nil
}

// decodedPosts keeps decoded posts by num: a page of a busy chat is mostly posts read before,
// and decoding their documents is most of a list's cost. Changes and deletions bump gen and
// evict; a reader stores what it decoded only if gen did not move while it read, so a stale
// document is never kept. Past maxDecodedPosts entries it starts over.
type decodedPosts struct {
	mu  sync.Mutex
	gen atomic.Int64
	m   map[int64]teammessaging.Post
}

const maxDecodedPosts = 50000

func clonePost(p teammessaging.Post) teammessaging.Post {
	p.Attachments, p.Mentions = slices.Clone(p.Attachments), slices.Clone(p.Mentions)
	return p
}

func (d *decodedPosts) get(num int64) (teammessaging.Post, bool) {
	d.mu.Lock()
	p, ok := d.m[num]
	d.mu.Unlock()
	return clonePost(p), ok
}

func (d *decodedPosts) put(gen int64, ps []teammessaging.Post) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen.Load() != gen {
		return
	}
	if d.m == nil || len(d.m)+len(ps) > maxDecodedPosts {
		d.m = make(map[int64]teammessaging.Post, len(ps))
	}
	for _, p := range ps {
		d.m[p.Num] = clonePost(p)
	}
}

func (d *decodedPosts) evict(num int64) {
	d.mu.Lock()
	d.gen.Add(1)
	delete(d.m, num)
	d.mu.Unlock()
}

func (d *decodedPosts) clear() {
	d.mu.Lock()
	d.gen.Add(1)
	d.m = nil
	d.mu.Unlock()
}

func postNum(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

func scanPost(data string, num int64) (teammessaging.Post, error) {
	var p teammessaging.Post
	err := json.Unmarshal([]byte(data), &p)
	p.Num, p.ID = num, strconv.FormatInt(num, 10)
	return p, err
}

func (db *DB) Post(ctx context.Context, chatID, id string) (teammessaging.Post, error) {
	num, ok := postNum(id)
	if !ok {
		return teammessaging.Post{}, teammessaging.ErrNotFound
	}
	var data string
	if err := db.r.QueryRowContext(ctx, `SELECT data FROM tm_posts WHERE num = ? AND chat_id = ?`, num, chatID).Scan(&data); err != nil {
		return teammessaging.Post{}, notFound(err)
	}
	return scanPost(data, num)
}

func (db *DB) UpdatePost(ctx context.Context, p teammessaging.Post) error {
	data, err := postDoc(p)
	if err != nil {
		return err
	}
	res, err := db.exec1(ctx, ChangePost, strconv.FormatInt(p.Num, 10), `UPDATE tm_posts SET thread_id = ?, data = ? WHERE num = ? AND chat_id = ?`, p.ThreadID, data, p.Num, p.ChatID)
	db.posts.evict(p.Num)
	return affected(res, err)
}

func (db *DB) DeletePost(ctx context.Context, chatID, id string) error {
	num, ok := postNum(id)
	if !ok {
		return teammessaging.ErrNotFound
	}
	res, err := db.exec1(ctx, ChangePost, strconv.FormatInt(num, 10), `DELETE FROM tm_posts WHERE num = ? AND chat_id = ?`, num, chatID)
	db.posts.evict(num)
	return affected(res, err)
}

// ListPosts walks tm_posts_chat (or tm_posts_thread) from a cursor, so a page costs its own
// rows whatever the size of the chat.
func (db *DB) ListPosts(ctx context.Context, f teammessaging.PostFilter) ([]teammessaging.Post, error) {
	q := `SELECT num, data FROM tm_posts WHERE chat_id = ?`
	args := []any{f.ChatID}
	if f.ThreadID != "" {
		q += ` AND thread_id = ?`
		args = append(args, f.ThreadID)
	}
	switch {
	case f.After > 0:
		q += ` AND num > ? ORDER BY num ASC`
		args = append(args, f.After)
	case f.Before > 0:
		q += ` AND num < ? ORDER BY num DESC`
		args = append(args, f.Before)
	default:
		q += ` ORDER BY num DESC`
	}
	q += ` LIMIT ?`
	args = append(args, f.Limit)
	gen := db.posts.gen.Load()
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []teammessaging.Post{}
	var fresh []teammessaging.Post
	for rows.Next() {
		var num int64
		var data sql.RawBytes
		if err := rows.Scan(&num, &data); err != nil {
			return nil, err
		}
		if p, ok := db.posts.get(num); ok {
			out = append(out, p)
			continue
		}
		p, err := scanPost(string(data), num)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		fresh = append(fresh, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.posts.put(gen, fresh)
	return out, nil
}

// AccountPosts walks every post of the store: the posts have no account column, as only a
// compliance export asks for them by account.
func (db *DB) AccountPosts(ctx context.Context, accountID int64, chatIDs []string, limit int) ([]teammessaging.Post, error) {
	q := `SELECT num, data FROM tm_posts WHERE CAST(json_extract(data, '$.accountId') AS BIGINT) = ?`
	args := []any{accountID}
	if len(chatIDs) > 0 {
		q += ` AND ` + inList("chat_id", chatIDs, &args)
	}
	q += ` ORDER BY num LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []teammessaging.Post{}
	for rows.Next() {
		var num int64
		var data string
		if err := rows.Scan(&num, &data); err != nil {
			return nil, err
		}
		p, err := scanPost(data, num)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (db *DB) LastPostNums(ctx context.Context, chatIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, id := range chatIDs {
		var num sql.NullInt64
		if err := db.r.QueryRowContext(ctx, `SELECT MAX(num) FROM tm_posts WHERE chat_id = ?`, id).Scan(&num); err != nil {
			return nil, err
		}
		if num.Valid {
			out[id] = num.Int64
		}
	}
	return out, nil
}

func (db *DB) Favorites(ctx context.Context, personID int64) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT chat_id FROM tm_favorites WHERE person_id = ? ORDER BY added, chat_id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (db *DB) AddFavorite(ctx context.Context, personID int64, chatID string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO tm_favorites (person_id, chat_id, added)
		VALUES (?, ?, (SELECT COALESCE(MAX(added), 0) + 1 FROM tm_favorites WHERE person_id = ?)) ON CONFLICT DO NOTHING`, personID, chatID, personID)
	return err
}

func (db *DB) RemoveFavorite(ctx context.Context, personID int64, chatID string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM tm_favorites WHERE person_id = ? AND chat_id = ?`, personID, chatID)
	return err
}

func (db *DB) ExtensionByEmail(ctx context.Context, accountID int64, email string) (rc.Extension, error) {
	return getJSON[rc.Extension](ctx, db.r, `SELECT data FROM extensions WHERE account_id = ? AND lower(email) = ? ORDER BY id LIMIT 1`,
		accountID, strings.ToLower(email))
}

func (db *DB) UserIDs(ctx context.Context, accountID int64) ([]int64, error) {
	ids, err := through(db.cache, db.cache.users, accountID, func() ([]int64, error) {
		return db.ids(ctx, `SELECT id FROM extensions WHERE account_id = ? AND type = 'User' ORDER BY id`, accountID)
	})
	return slices.Clone(ids), err
}

// InsertPosts stores many posts in one transaction (seeding and benchmarks), setting their Num
// and ID.
func (db *DB) InsertPosts(ctx context.Context, posts []*teammessaging.Post) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO tm_posts (chat_id, thread_id, data) VALUES (?, ?, ?) RETURNING num`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range posts {
			data, err := postDoc(*p)
			if err != nil {
				return err
			}
			if err := st.QueryRowContext(ctx, p.ChatID, p.ThreadID, data).Scan(&p.Num); err != nil {
				return err
			}
			p.ID = strconv.FormatInt(p.Num, 10)
		}
		return nil
	})
}

func itemDoc(it teammessaging.Item) (string, error) {
	b, err := json.Marshal(it)
	return string(b), err
}

func (db *DB) InsertItem(ctx context.Context, it teammessaging.Item) error {
	data, err := itemDoc(it)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO tm_items (id, kind, account_id, chat_id, creator_id, data) VALUES (?, ?, ?, ?, ?, ?)`,
		it.ID, it.Kind, it.AccountID, it.ChatID, it.CreatorID, data)
	if isUnique(err) {
		return teammessaging.ErrConflict
	}
	return err
}

func (db *DB) Item(ctx context.Context, id string) (teammessaging.Item, error) {
	return getJSON[teammessaging.Item](ctx, db.r, `SELECT data FROM tm_items WHERE id = ?`, id)
}

func (db *DB) UpdateItem(ctx context.Context, it teammessaging.Item) error {
	data, err := itemDoc(it)
	if err != nil {
		return err
	}
	res, err := db.w.ExecContext(ctx, `UPDATE tm_items SET data = ? WHERE id = ?`, data, it.ID)
	return affected(res, err)
}

func (db *DB) DeleteItem(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM tm_items WHERE id = ?`, id)
	return affected(res, err)
}

func (db *DB) ListItems(ctx context.Context, f teammessaging.ItemFilter) ([]teammessaging.Item, error) {
	q := `SELECT data, 0 FROM tm_items WHERE kind = ? AND account_id = ?`
	args := []any{f.Kind, f.AccountID}
	if !f.AnyChat {
		q += ` AND chat_id = ?`
		args = append(args, f.ChatID)
	}
	if f.CreatorID != 0 {
		q += ` AND creator_id = ?`
		args = append(args, f.CreatorID)
	}
	out, _, err := listJSON[teammessaging.Item](ctx, db.r, q+` ORDER BY num`, args...)
	return out, err
}
