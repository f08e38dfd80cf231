// Bellmap's map page. Plain JavaScript over Leaflet; talks only to this server.
//
// Safety rules this file keeps:
// - Quick exit (button or Escape) replaces this page in the history and clears it first.
// - Nothing is stored on the device: no cookies, no localStorage, sessionStorage or IndexedDB.
// - A place someone searches near (a map tap, their own location) goes in a POST body, never
//   in a URL. Only the viewport goes in the clusters URL, as the API defines it.
// - Data from the API is put into the page as text (textContent), never as HTML.
// - A place name typed in the search box also goes only in a POST body: the box is in no form,
//   has autocomplete off, and nothing typed or picked is put in a URL, the history or storage.
// - Escape closes the place list when it is open (focus in the box); otherwise, and always on a
//   second press, Escape is the quick exit. If that check fails, Escape still quick-exits.
'use strict';

(function () {
  const DEFAULT_EXIT_URL = 'https://www.google.com/search?q=weather';
  const START = { lat: 22.5, lon: 80, zoom: 5 };
  const NEAREST_K = 20;
  const CLUSTER_DELAY_MS = 200;
  const PLACE_LIMIT = 8;
  const PLACE_DELAY_MS = 250;
  const PLACE_MAX_CHARS = 100; // the API's limit on q
  // Languages offered in the filter (ISO 639-1): India's most widely spoken, then English.
  const LANGUAGES = ['hi', 'en', 'bn', 'mr', 'te', 'ta', 'gu', 'ur', 'kn', 'or', 'ml', 'pa', 'as', 'ne', 'ks', 'sd'];

  const state = {
    lang: 'en',
    exitUrl: DEFAULT_EXIT_URL,
    categories: [], // [{slug, label: {en, hi}}]
    filters: { category: '', language: '', open247: false, openNow: false },
    point: null, // {lat, lon, place}: the point of the last nearest search, and the picked place if any
    results: null, // the last nearest list, or null before the first search
    emergency: null,
    detail: null, // the provider shown in the detail panel
    detailFrom: null, // the element to focus again when the detail closes
    status: null, // [key, ...args] of the live region's message, so it can be re-translated
    features: [], // the last clusters answer
    searchAbort: null,
    clusterAbort: null,
    clusterTimer: null,
    places: [], // the options shown in the place list
    placeActive: -1, // index of the highlighted option, -1 for none
    placeAbort: null,
    placeTimer: null,
    placeStatus: null, // [key, ...args] of the place box's live region
  };

  const $ = (id) => document.getElementById(id);
  const t = (key) => window.BELLMAP_I18N[state.lang][key];

  // ---- Quick exit: wired first, so it works even if anything below fails. ----

  function quickExit() {
    try {
      document.title = '';
      document.body.replaceChildren();
    } finally {
      window.location.replace(state.exitUrl);
    }
  }
  $('quick-exit').addEventListener('click', quickExit);
  // Set by the place box: returns true when this Escape only closed its open list.
  let escapeClosesList = null;
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Escape' || e.key === 'Esc') {
        e.preventDefault();
        e.stopPropagation();
        let handled = false;
        try {
          handled = !!(escapeClosesList && escapeClosesList(e));
        } catch {
          handled = false;
        }
        if (!handled) quickExit();
      }
    },
    true,
  );

  // The skip link moves focus without adding a #fragment entry to the history (which Back
  // could return to after a quick exit).
  document.querySelector('.skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    $('results-heading').focus();
  });

  // ---- Small helpers ----

  /** An element with attributes and children (strings become text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  function setStatus(key, ...args) {
    state.status = key ? [key, ...args] : null;
    renderStatus();
  }

  function renderStatus() {
    if (!state.status) {
      $('status').textContent = '';
      return;
    }
    const [key, ...args] = state.status;
    const v = t(key);
    $('status').textContent = typeof v === 'function' ? v(...args) : v;
  }

  function categoryLabel(slug) {
    const c = state.categories.find((x) => x.slug === slug);
    return c ? c.label[state.lang] || c.label.en : slug.replace(/_/g, ' ');
  }

  const displayNames = {};
  function displayName(type, code) {
    const key = `${state.lang}:${type}`;
    try {
      displayNames[key] = displayNames[key] || new Intl.DisplayNames([state.lang], { type });
      return displayNames[key].of(code) || code;
    } catch {
      return code;
    }
  }

  function languageNames(codes) {
    return (codes || []).map((c) => displayName('language', c)).join(', ');
  }

  function formatDistance(m) {
    if (typeof m !== 'number') return '';
    if (m < 1000) return `${Math.round(m)} ${t('m')}`;
    return `${(m / 1000).toFixed(1)} ${t('km')}`;
  }

  /** OpenStreetMap opening_hours, with day names spelled out in the page's language. */
  function formatHours(hours, open247) {
    if (open247 || hours === '24/7') return t('open247Short');
    if (!hours) return '';
    const days = t('days');
    return hours.replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH|off)\b/g, (d) => days[d] || d);
  }

  function telHref(phone) {
    const digits = phone.e164 || phone.display.replace(/[^\d+]/g, '');
    return digits;
  }

  /** Tap-to-call links: hotline first, then phone, then SMS. */
  function callLinks(p) {
    const links = [];
    if (p.hotline) links.push(h('a', { class: 'call call-hotline', href: `tel:${telHref(p.hotline)}` }, `${t('hotline')}: `, h('span', { class: 'num' }, p.hotline.display)));
    if (p.phone) links.push(h('a', { class: 'call', href: `tel:${telHref(p.phone)}` }, `${t('phone')}: `, h('span', { class: 'num' }, p.phone.display)));
    if (p.sms) links.push(h('a', { class: 'call call-sms', href: `sms:${telHref(p.sms)}` }, `${t('sms')}: `, h('span', { class: 'num' }, p.sms.display)));
    return links.length ? h('p', { class: 'calls' }, links) : null;
  }

  function confidentialNote(p) {
    if (!p.confidential) return null;
    return h(
      'div',
      { class: 'approx' },
      h('p', { class: 'approx-label' }, t('approximate')),
      // The API's note is English; the Hindi page shows its own translation.
      h('p', {}, state.lang === 'en' && p.contact_note ? p.contact_note : t('confidentialNote')),
    );
  }

  async function getJson(url, options) {
    const res = await fetch(url, { credentials: 'omit', cache: 'no-store', ...options });
    if (!res.ok) throw new Error(`${url.split('?')[0]}: HTTP ${res.status}`);
    return res.json();
  }

  function searchFilters(body) {
    const f = state.filters;
    if (f.category) body.category = [f.category];
    if (f.language) body.language = [f.language];
    if (f.open247) body.open_24_7 = true;
    if (f.openNow) body.open_now = true;
    return body;
  }

  /** A nearest search by POST, so the place stays out of URLs and logs. */
  function postSearch(lat, lon, k, signal, filtered) {
    const body = { near: { lat, lon }, k };
    return getJson('/v1/providers/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(filtered ? searchFilters(body) : body),
      signal,
    });
  }

  // ---- The map ----

  const mapEl = $('map');
  const map = L.map(mapEl, {
    center: [START.lat, START.lon],
    zoom: START.zoom,
    minZoom: 2,
    // 19: the API's leaf level, where every provider stands alone, so every cluster can split.
    maxZoom: 19,
    worldCopyJump: true,
    zoomControl: false,
    attributionControl: false,
  });
  let zoomControl = null;
  function addZoomControl() {
    if (zoomControl) zoomControl.remove();
    zoomControl = L.control.zoom({ zoomInTitle: t('zoomIn'), zoomOutTitle: t('zoomOut') }).addTo(map);
  }
  addZoomControl();
  // Leaflet only notices window resizes; the map also changes size when the emergency strip
  // grows or shrinks; invalidateSize keeps the centre where it was.
  if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(mapEl);
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  const attribution = L.control.attribution({ prefix: '<a href="https://leafletjs.com">Leaflet</a>' }).addTo(map);
  let attributionText = null;
  let tileAttribution = null; // a string once the operator's tiles are on (plain text)

  function setAttribution() {
    if (attributionText) attribution.removeAttribution(attributionText);
    attributionText = tileAttribution === null ? t('attribution') : escapeHtml(tileAttribution);
    if (attributionText) attribution.addAttribution(attributionText);
  }

  function escapeHtml(s) {
    const d = document.createElement('div');
    d.textContent = s;
    return d.innerHTML;
  }

  const clusterLayer = L.layerGroup().addTo(map);
  const pointLayer = L.layerGroup().addTo(map);

  /** Country outlines and India's states, from this server, drawn on one canvas. */
  async function loadBasemap() {
    const renderer = L.canvas({ padding: 0.5 });
    const [countries, states] = await Promise.all([
      getJson('/basemap/countries.geojson', { cache: 'default' }),
      getJson('/basemap/india_states.geojson', { cache: 'default' }),
    ]);
    L.geoJSON(countries, {
      renderer,
      interactive: false,
      style: { color: '#7d8b99', weight: 0.8, fillColor: '#f6f3ec', fillOpacity: 1 },
    }).addTo(map);
    L.geoJSON(states, {
      renderer,
      interactive: false,
      style: { color: '#9aa5b1', weight: 0.7, fill: false },
    }).addTo(map);
    mapEl.dataset.basemap = 'loaded';
  }

  function addTiles(url) {
    L.tileLayer(url, { maxZoom: 19, maxNativeZoom: 18, crossOrigin: false, referrerPolicy: 'no-referrer' }).addTo(map);
    mapEl.dataset.basemap = 'tiles';
  }

  /** The viewport as west,south,east,north in [-180, 180]; west > east crosses the antimeridian. */
  function viewportBbox() {
    const b = map.getBounds();
    let w = b.getWest();
    let e = b.getEast();
    const s = Math.max(-90, b.getSouth());
    const n = Math.min(90, b.getNorth());
    if (e - w >= 360) {
      w = -180;
      e = 180;
    } else {
      const wrap = (x) => ((((x + 180) % 360) + 360) % 360) - 180;
      w = wrap(w);
      e = wrap(e);
      if (e === -180) e = 180;
    }
    return [w, s, e, n].map((v) => v.toFixed(5)).join(',');
  }

  function scheduleClusters() {
    clearTimeout(state.clusterTimer);
    state.clusterTimer = setTimeout(loadClusters, CLUSTER_DELAY_MS);
  }

  async function loadClusters() {
    if (state.clusterAbort) state.clusterAbort.abort();
    const ctrl = new AbortController();
    state.clusterAbort = ctrl;
    const zoom = Math.max(0, Math.min(19, Math.floor(map.getZoom())));
    const params = new URLSearchParams({ bbox: viewportBbox(), zoom: String(zoom) });
    const f = state.filters;
    if (f.category) params.set('category', f.category);
    if (f.language) params.set('language', f.language);
    if (f.open247) params.set('open_24_7', 'true');
    if (f.openNow) params.set('open_now', 'true');
    try {
      const fc = await getJson(`/v1/clusters?${params}`, {
        headers: { Accept: 'application/geo+json' },
        signal: ctrl.signal,
      });
      if (state.clusterAbort !== ctrl) return;
      state.features = Array.isArray(fc.features) ? fc.features : [];
      renderClusters();
      mapEl.dataset.clustersZoom = String(zoom);
    } catch (e) {
      if (e.name !== 'AbortError') console.warn('clusters:', e.message);
    }
  }

  /** Enter and Space on a focused marker act like a click. */
  function keyboardActivate(marker, action) {
    marker.on('add', () => {
      const el = marker.getElement();
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          action();
        }
      });
    });
  }

  function clusterSize(count) {
    if (count < 10) return 32;
    if (count < 100) return 38;
    if (count < 1000) return 46;
    return 54;
  }

  function renderClusters() {
    clusterLayer.clearLayers();
    for (const f of state.features) {
      if (!f || !f.geometry || f.geometry.type !== 'Point') continue;
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties || {};
      if (p.cluster) {
        const count = Number(p.count) || 0;
        const size = clusterSize(count);
        const label = t('clusterLabel')(count);
        const marker = L.marker([lat, lon], {
          icon: L.divIcon({
            className: 'cluster-icon',
            html: h('span', { 'aria-hidden': 'true' }, String(count)),
            iconSize: [size, size],
          }),
          keyboard: true,
          title: label,
          riseOnHover: true,
        });
        const expand = () => {
          const z = Math.min(map.getMaxZoom(), Math.max(map.getZoom() + 1, Number(p.expansion_zoom) || 0));
          map.setView([lat, lon], z);
        };
        marker.on('click', expand);
        marker.on('add', () => {
          const el = marker.getElement();
          el.setAttribute('aria-label', label);
          el.dataset.count = String(count);
          el.dataset.expansionZoom = String(p.expansion_zoom);
        });
        keyboardActivate(marker, expand);
        clusterLayer.addLayer(marker);
      } else {
        const label = t('providerLabel')(p.name || '');
        const marker = L.marker([lat, lon], {
          icon: L.divIcon({
            className: `provider-icon${p.confidential ? ' provider-approx' : ''}`,
            html: h('span', { 'aria-hidden': 'true' }),
            iconSize: [22, 22],
          }),
          keyboard: true,
          title: p.name || '',
        });
        const open = () => showDetail(p.id, null);
        marker.on('click', open);
        marker.on('add', () => {
          const el = marker.getElement();
          el.setAttribute('aria-label', label);
          el.dataset.id = String(p.id);
        });
        keyboardActivate(marker, open);
        clusterLayer.addLayer(marker);
      }
    }
  }

  map.on('moveend', scheduleClusters);
  map.on('zoomend', scheduleClusters);
  map.on('click', (e) => {
    const ll = e.latlng.wrap();
    searchNear(ll.lat, ll.lng);
  });

  // ---- Nearest list ----

  function placeSearchPoint(lat, lon) {
    pointLayer.clearLayers();
    L.circleMarker([lat, lon], {
      radius: 8,
      color: '#ffffff',
      weight: 3,
      fillColor: '#c2185b',
      fillOpacity: 1,
      interactive: false,
    }).addTo(pointLayer);
  }

  /** Lists the providers nearest to lat/lon; `place` is the picked place it stands for, if any. */
  async function searchNear(lat, lon, place) {
    state.point = { lat, lon, place: place || null };
    placeSearchPoint(lat, lon);
    closeDetail(false);
    if (state.searchAbort) state.searchAbort.abort();
    const ctrl = new AbortController();
    state.searchAbort = ctrl;
    setStatus('searching');
    try {
      const answer = await postSearch(lat, lon, NEAREST_K, ctrl.signal, true);
      if (state.searchAbort !== ctrl) return;
      state.results = answer.items || [];
      state.resultsPlace = state.point.place;
      if (answer.emergency) state.emergency = answer.emergency;
      renderEmergency();
      renderResults();
      setStatus(state.results.length ? 'found' : 'noneFound', state.results.length);
      revealResults();
    } catch (e) {
      if (e.name === 'AbortError') return;
      setStatus('loadError');
    }
  }

  /** Scrolls the panel (a bottom sheet on phones) so `el` is near its top, unless it already is. */
  function reveal(el) {
    const panel = $('panel');
    const offset = el.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    if (offset > panel.clientHeight * 0.4 || offset < 0) panel.scrollTop += offset - 8;
  }

  function revealResults() {
    reveal($('status'));
  }

  /** "Open now" / "Closed" and the next change, from the API's open_now and next_change. */
  function openState(p) {
    if (p.open_now !== true && p.open_now !== false) return null;
    const text = p.next_change && typeof p.next_change.text === 'string' ? t('nextChange')(p.next_change.text) : '';
    return h(
      'p',
      { class: `line open-state ${p.open_now ? 'is-open' : 'is-closed'}`, 'data-open': String(p.open_now) },
      h('strong', {}, p.open_now ? t('openNow') : t('closedNow')),
      text ? ` · ${text}` : null,
    );
  }

  function renderResults() {
    const place = state.results && state.resultsPlace;
    $('results-heading').textContent = place ? t('nearestTo')(place.name) : t('nearest');
    const list = $('results-list');
    list.replaceChildren();
    $('results').classList.toggle('has-results', Array.isArray(state.results) && state.results.length > 0);
    for (const p of state.results || []) {
      const nameId = `r-${p.id}`;
      const meta = [formatDistance(p.distance_m), (p.categories || []).map(categoryLabel).join(', ')].filter(Boolean);
      const hours = formatHours(p.hours, p.open_24_7);
      list.append(
        h(
          'li',
          {
            class: 'result',
            'data-id': String(p.id),
            'data-distance': String(p.distance_m),
            'data-categories': (p.categories || []).join(' '),
          },
          h('h3', { class: 'result-name' }, h('button', { type: 'button', id: nameId, class: 'link-button', onclick: (e) => showDetail(p.id, e.currentTarget) }, p.name)),
          h('p', { class: 'meta' }, meta.join(' · ')),
          openState(p),
          hours ? h('p', { class: 'line' }, h('span', { class: 'k' }, `${t('hours')}: `), hours) : null,
          p.languages && p.languages.length ? h('p', { class: 'line' }, h('span', { class: 'k' }, `${t('languages')}: `), languageNames(p.languages)) : null,
          confidentialNote(p),
          callLinks(p),
        ),
      );
    }
  }

  // Arrow keys move between the names in the list.
  $('results-list').addEventListener('keydown', (e) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    const buttons = [...$('results-list').querySelectorAll('.result-name button')];
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const next = { ArrowDown: Math.min(i + 1, buttons.length - 1), ArrowUp: Math.max(i - 1, 0), Home: 0, End: buttons.length - 1 }[e.key];
    buttons[next].focus();
  });

  // ---- Provider detail ----

  async function showDetail(id, from) {
    state.detailFrom = from || document.activeElement;
    const known = (state.results || []).find((p) => p.id === id);
    state.detail = { id, distance_m: known ? known.distance_m : undefined, loading: true };
    renderDetail();
    try {
      const p = await getJson(`/v1/providers/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } });
      if (!state.detail || state.detail.id !== id) return;
      state.detail = { ...p, distance_m: known ? known.distance_m : undefined };
      renderDetail();
      reveal($('detail'));
      $('detail-name').focus({ preventScroll: true });
    } catch {
      setStatus('loadError');
    }
  }

  function closeDetail(refocus) {
    if (!state.detail) return;
    state.detail = null;
    $('detail').hidden = true;
    $('results').hidden = false;
    if (refocus && state.detailFrom && document.contains(state.detailFrom)) state.detailFrom.focus();
  }
  $('detail-back').addEventListener('click', () => closeDetail(true));

  function row(label, value) {
    if (value === null || value === undefined || value === '') return null;
    return h('div', { class: 'row' }, h('dt', {}, label), h('dd', {}, value));
  }

  function renderDetail() {
    const p = state.detail;
    if (!p) return;
    $('results').hidden = true;
    $('detail').hidden = false;
    const body = $('detail-body');
    if (p.loading) {
      body.replaceChildren(h('h2', { id: 'detail-name', tabindex: '-1' }, t('loading')));
      return;
    }
    const area = [p.locality, p.district, p.state, displayName('region', p.country)].filter(Boolean).join(', ');
    const address = [p.address, p.postal_code].filter(Boolean).join(', ');
    const website = /^https?:\/\//i.test(p.website || '')
      ? h('a', { href: p.website, rel: 'noopener noreferrer', target: '_blank' }, p.website)
      : null;
    const email = p.email ? h('a', { href: `mailto:${p.email}` }, p.email) : null;
    body.replaceChildren(
      h('h2', { id: 'detail-name', tabindex: '-1' }, p.name),
      h('p', { class: 'meta' }, [formatDistance(p.distance_m), (p.categories || []).map(categoryLabel).join(', ')].filter(Boolean).join(' · ')),
      confidentialNote(p),
      openState(p),
      callLinks(p),
      p.description ? h('p', {}, p.description) : null,
      h(
        'dl',
        { class: 'facts' },
        row(t('hours'), formatHours(p.hours, p.open_24_7)),
        row(t('languages'), languageNames(p.languages)),
        row(t('organization'), p.organization),
        row(t('address'), address),
        row(t('area'), area),
        row(t('eligibility'), p.eligibility),
        row(t('cost'), p.cost),
        row(t('wheelchair'), p.wheelchair ? t('wheelchairValues')[p.wheelchair] || p.wheelchair : null),
        row(t('email'), email),
        row(t('website'), website),
        row(t('verified'), p.verified_on),
      ),
    );
  }

  // ---- Emergency numbers ----

  function renderEmergency() {
    const e = state.emergency;
    const list = $('emergency-numbers');
    if (!e) return;
    const place = [e.region, e.country ? displayName('region', e.country) : null].filter(Boolean).join(', ');
    $('emergency-place').textContent = place ? ` (${place})` : '';
    list.replaceChildren(
      ...(e.numbers || []).map((n) =>
        h(
          'li',
          {},
          h(
            'a',
            { class: 'emergency-number', href: `tel:${n.number.replace(/[^\d+]/g, '')}`, title: n.label },
            h('strong', {}, n.number),
            h('span', { class: 'emergency-label', lang: 'en' }, ` ${n.label}`),
          ),
        ),
      ),
    );
  }

  async function loadEmergencyForStart() {
    try {
      const answer = await postSearch(START.lat, START.lon, 1, undefined, false);
      if (!state.emergency && answer.emergency) {
        state.emergency = answer.emergency;
        renderEmergency();
      }
    } catch {
      // The strip keeps 112 from the page itself.
    }
  }

  // ---- Filters ----

  function renderCategoryOptions() {
    const select = $('f-category');
    const chosen = select.value;
    select.replaceChildren(
      h('option', { value: '' }, t('anyCategory')),
      ...state.categories.map((c) => h('option', { value: c.slug }, categoryLabel(c.slug))),
    );
    select.value = chosen;
  }

  function renderLanguageOptions() {
    const select = $('f-language');
    const chosen = select.value;
    select.replaceChildren(
      h('option', { value: '' }, t('anyLanguage')),
      ...LANGUAGES.map((code) => {
        const here = displayName('language', code);
        let own = code;
        try {
          own = new Intl.DisplayNames([code], { type: 'language' }).of(code) || code;
        } catch {
          // keep the code
        }
        return h('option', { value: code }, own && own !== here ? `${here} · ${own}` : here);
      }),
    );
    select.value = chosen;
  }

  async function loadCategories() {
    try {
      const answer = await getJson('/v1/categories', { headers: { Accept: 'application/json' } });
      state.categories = (answer.items || []).map((c) => ({ slug: c.slug, label: c.label }));
      renderCategoryOptions();
      renderResults();
      renderDetail();
    } catch {
      setStatus('loadError');
    }
  }

  function filtersChanged() {
    state.filters = {
      category: $('f-category').value,
      language: $('f-language').value,
      open247: $('f-open').checked,
      openNow: $('f-open-now').checked,
    };
    loadClusters();
    if (state.point) searchNear(state.point.lat, state.point.lon, state.point.place);
  }
  $('filters').addEventListener('change', filtersChanged);
  $('filters').addEventListener('submit', (e) => e.preventDefault());

  // ---- Place search box: a combobox (WAI-ARIA APG, list autocomplete) ----
  //
  // Typing asks POST /v1/places/search (debounced, the previous request aborted); Up/Down move
  // through the options (aria-activedescendant, focus stays in the box), Enter picks, Escape
  // closes the open list. A picked place runs the nearest search at its point.

  const placeInput = $('place-input');
  const placeList = $('place-list');

  function placeListOpen() {
    return placeInput.getAttribute('aria-expanded') === 'true';
  }

  function setPlaceStatus(key, ...args) {
    state.placeStatus = key ? [key, ...args] : null;
    const el = $('place-status');
    if (!state.placeStatus) {
      el.textContent = '';
      return;
    }
    const v = t(key);
    el.textContent = typeof v === 'function' ? v(...args) : v;
  }

  function openPlaceList(open) {
    const show = open && state.places.length > 0;
    placeList.hidden = !show;
    placeInput.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (!show) setActivePlace(-1);
  }

  function closePlaceList() {
    openPlaceList(false);
  }

  function setActivePlace(i) {
    state.placeActive = i;
    const options = placeList.querySelectorAll('[role="option"]');
    options.forEach((el, j) => {
      el.setAttribute('aria-selected', j === i ? 'true' : 'false');
      el.classList.toggle('active', j === i);
    });
    if (i >= 0 && options[i]) {
      placeInput.setAttribute('aria-activedescendant', options[i].id);
      options[i].scrollIntoView({ block: 'nearest' });
    } else {
      placeInput.removeAttribute('aria-activedescendant');
    }
  }

  /** One option: the name (and the spelling that matched, when it differs), then kind, district, state. */
  function placeOption(p, i) {
    const kind = t('placeKinds')[p.kind] || p.kind;
    const where = [kind, p.district, p.state].filter(Boolean).join(' · ');
    const alt = p.matched_name && p.matched_name !== p.name ? ` (${p.matched_name})` : '';
    return h(
      'li',
      {
        id: `place-opt-${i}`,
        role: 'option',
        class: 'place-option',
        'aria-selected': 'false',
        'data-id': String(p.id),
        onmousedown: (e) => e.preventDefault(), // keep focus in the box
        onclick: () => pickPlace(i),
      },
      h('span', { class: 'place-name' }, p.name, alt),
      h('span', { class: 'place-where' }, where),
    );
  }

  function renderPlaces() {
    const active = state.placeActive;
    const open = placeListOpen();
    placeList.replaceChildren(...state.places.map(placeOption));
    if (open) setActivePlace(Math.min(active, state.places.length - 1));
    if (state.placeStatus) setPlaceStatus(...state.placeStatus);
  }

  function placeSearchDone() {
    placeInput.removeAttribute('aria-busy');
  }

  async function searchPlaces(q) {
    if (state.placeAbort) state.placeAbort.abort();
    const ctrl = new AbortController();
    state.placeAbort = ctrl;
    placeInput.setAttribute('aria-busy', 'true');
    try {
      // By POST: the typed text stays out of URLs and logs.
      const answer = await getJson('/v1/places/search', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ q, limit: PLACE_LIMIT }),
        signal: ctrl.signal,
      });
      if (state.placeAbort !== ctrl) return;
      placeSearchDone();
      state.places = (Array.isArray(answer.items) ? answer.items : []).filter(
        (p) => p && typeof p.name === 'string' && Number.isFinite(p.lat) && Number.isFinite(p.lon),
      );
      state.placeActive = -1;
      renderPlaces();
      openPlaceList(document.activeElement === placeInput);
      setPlaceStatus(state.places.length ? 'placesFound' : 'noPlaces', state.places.length);
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (state.placeAbort === ctrl) placeSearchDone();
      state.places = [];
      renderPlaces();
      closePlaceList();
      setPlaceStatus('loadError');
    }
  }

  function clearPlaceSearch() {
    clearTimeout(state.placeTimer);
    if (state.placeAbort) state.placeAbort.abort();
    state.placeAbort = null;
    placeSearchDone();
    state.places = [];
    renderPlaces();
    closePlaceList();
  }

  placeInput.addEventListener('input', () => {
    const q = placeInput.value.trim();
    clearPlaceSearch();
    if (!q || [...q].length > PLACE_MAX_CHARS) {
      setPlaceStatus(q ? 'noPlaces' : null);
      return;
    }
    state.placeTimer = setTimeout(() => searchPlaces(q), PLACE_DELAY_MS);
  });

  function pickPlace(i) {
    const p = state.places[i];
    if (!p) return;
    placeInput.value = p.name;
    clearPlaceSearch();
    setPlaceStatus(null);
    map.setView([p.lat, p.lon], Math.max(map.getZoom(), 11));
    searchNear(p.lat, p.lon, p);
  }

  placeInput.addEventListener('keydown', (e) => {
    const n = state.places.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!n) return;
      e.preventDefault();
      if (!placeListOpen()) {
        openPlaceList(true);
        setActivePlace(e.key === 'ArrowDown' ? 0 : n - 1);
        return;
      }
      const i = state.placeActive;
      setActivePlace(e.key === 'ArrowDown' ? (i + 1) % n : i <= 0 ? n - 1 : i - 1);
    } else if (e.key === 'Enter') {
      if (placeListOpen() && state.placeActive >= 0) {
        e.preventDefault();
        pickPlace(state.placeActive);
      }
    }
  });

  // The first Escape in the box closes the open list; the document's quick-exit handler asks.
  escapeClosesList = (e) => {
    if (e.target !== placeInput || !placeListOpen()) return false;
    closePlaceList();
    return true;
  };

  placeInput.addEventListener('blur', closePlaceList);
  placeInput.addEventListener('focus', () => {
    if (state.places.length) openPlaceList(true);
  });

  // ---- Use my location ----

  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) {
      setStatus('locationUnavailable');
      return;
    }
    setStatus('locating');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const { latitude: lat, longitude: lon } = pos.coords;
        map.setView([lat, lon], Math.max(map.getZoom(), 12));
        searchNear(lat, lon);
      },
      () => setStatus('locationUnavailable'),
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  });

  // ---- Language ----

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t('documentTitle');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    mapEl.setAttribute('aria-label', t('mapLabel'));
    const toggle = $('lang-toggle');
    toggle.textContent = t('toggleLabel');
    toggle.setAttribute('lang', t('toggleLang'));
    toggle.setAttribute('aria-label', t('toggleAria'));
    addZoomControl();
    setAttribution();
    renderCategoryOptions();
    renderLanguageOptions();
    renderEmergency();
    renderResults();
    renderDetail();
    renderClusters();
    renderStatus();
    renderPlaces();
  }

  $('lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'en' ? 'hi' : 'en';
    applyLanguage();
  });

  // ---- Start ----

  async function start() {
    applyLanguage();
    loadCategories();
    loadEmergencyForStart();
    loadClusters();
    try {
      const config = await getJson('/config.json', { headers: { Accept: 'application/json' } });
      if (typeof config.exit_url === 'string' && /^https?:\/\//i.test(config.exit_url)) state.exitUrl = config.exit_url;
      if (typeof config.tile_url === 'string' && config.tile_url) {
        tileAttribution = config.tile_attribution || '';
        setAttribution();
        addTiles(config.tile_url);
        return;
      }
    } catch {
      // Without the settings: the default exit page and the bundled outlines.
    }
    try {
      await loadBasemap();
    } catch (e) {
      console.warn('basemap:', e.message);
    }
  }

  start();
})();
