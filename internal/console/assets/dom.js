// The console builds every node with DOM APIs: data only ever becomes text (textContent or
// attribute values), never markup, so a message that holds HTML shows as its characters.

/** h creates an element; props set properties (on* add listeners), children become nodes or text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (typeof v === 'boolean' || k === 'value') el[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** table renders rows under columns [label, row => value] ; a value may be a node. */
export function table(columns, rows, props = {}) {
  return h('table', props,
    h('thead', null, h('tr', null, columns.map(([label]) => h('th', null, label)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: columns.length, class: 'muted' }, 'none'))
      : rows.map((r) => h('tr', { dataset: r.id != null ? { id: String(r.id) } : {} },
        columns.map(([, get, cls]) => h('td', cls ? { class: cls } : null, get(r) ?? ''))))));
}

/** options builds <option>s from [value, label] pairs, selecting current. */
export function options(pairs, current) {
  return pairs.map(([value, label]) => h('option', { value: String(value), selected: String(value) === String(current) }, label));
}
