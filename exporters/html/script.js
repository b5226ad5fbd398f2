
// assay report: filters, search, expand/collapse, target selector and deep
// links. The page reads completely without this script; it only hides and
// shows what is already there. It never builds markup from report text.
(function () {
  'use strict';
  var doc = document;
  var root = doc.documentElement;
  var form = doc.getElementById('filters');
  var main = doc.getElementById('main');
  if (!form || !main) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var policies = doc.querySelectorAll('.policy');
  var articles = doc.querySelectorAll('article.target');
  var shown = doc.getElementById('shown');
  var search = doc.getElementById('q');
  var target = doc.getElementById('target');
  var index = null; // built on the first search: lower-case text per policy and row

  function buildIndex() {
    index = [];
    each(policies, function (p) {
      var head = p.querySelector('.head');
      var rows = p.querySelectorAll('tr.o');
      var texts = [];
      each(rows, function (r) { texts.push(r.textContent.toLowerCase()); });
      index.push({ head: (head || p).textContent.toLowerCase(), rows: rows, texts: texts });
    });
  }

  function checked(name) {
    var set = null;
    each(form.querySelectorAll('input[name="' + name + '"]'), function (el) {
      set = set || {};
      set[el.value] = el.checked;
    });
    return set;
  }

  function allowed(set, value) { return !set || set[value] !== false; }

  function apply() {
    performance.mark('assay-filter-start');
    var sev = checked('severity');
    var st = checked('status');
    var bundle = checked('bundle');
    var q = search ? search.value.trim().toLowerCase() : '';
    var only = target ? target.value : '';
    if (q && !index) { buildIndex(); }
    each(articles, function (a) { a.hidden = only !== '' && a.getAttribute('data-target') !== only; });
    var nPolicies = 0;
    var nFindings = 0;
    each(policies, function (p, i) {
      var ok = allowed(sev, p.getAttribute('data-severity')) && allowed(st, p.getAttribute('data-status')) &&
        allowed(bundle, p.getAttribute('data-bundle'));
      var rows = index ? index[i].rows : p.querySelectorAll('tr.o');
      var visible = rows.length;
      if (ok && q && index[i].head.indexOf(q) < 0) {
        // The policy itself does not match: show only the rows that do.
        visible = 0;
        each(rows, function (r, j) {
          r.hidden = index[i].texts[j].indexOf(q) < 0;
          if (!r.hidden) { visible++; }
        });
        ok = visible > 0;
      } else if (index) {
        each(rows, function (r) { r.hidden = false; });
      }
      p.hidden = !ok;
      var article = p.closest('article');
      if (ok && !(article && article.hidden)) {
        nPolicies++;
        nFindings += visible;
      }
    });
    shown.textContent = nPolicies + (nPolicies === 1 ? ' policy, ' : ' policies, ') + nFindings +
      (nFindings === 1 ? ' finding shown' : ' findings shown');
    performance.mark('assay-filtered');
  }

  var timer = 0;
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.addEventListener('reset', function () { setTimeout(apply, 0); });
  if (search) {
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 150);
    });
  }

  function setOpen(open) {
    each(main.querySelectorAll('details'), function (d) { d.open = open; });
  }
  doc.getElementById('expand').addEventListener('click', function () { setOpen(true); });
  doc.getElementById('collapse').addEventListener('click', function () { setOpen(false); });

  // Printing shows everything, whatever was collapsed.
  var closed = [];
  window.addEventListener('beforeprint', function () {
    closed = [];
    each(main.querySelectorAll('details:not([open])'), function (d) { closed.push(d); d.open = true; });
  });
  window.addEventListener('afterprint', function () { closed.forEach(function (d) { d.open = false; }); });

  // A deep link (#policy-id) shows its policy: whatever filter or collapsed
  // section hides it gives way, then the page scrolls to it.
  function reveal() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id && doc.getElementById(id);
    if (!el || !main.contains(el)) { return; }
    var hiddenBy = el.closest('[hidden]');
    if (hiddenBy) {
      form.reset();
      if (target) { target.value = ''; }
      apply();
    }
    for (var d = el.parentElement; d; d = d.parentElement) {
      if (d.tagName === 'DETAILS') { d.open = true; }
    }
    el.scrollIntoView({ block: 'start' });
    // Sections laid out lazily (content-visibility) take their real size
    // as they come into view, which moves the target: scroll again once
    // they have.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { el.scrollIntoView({ block: 'start' }); });
    });
  }
  window.addEventListener('hashchange', reveal);

  form.hidden = false;
  if (location.hash.length > 1) { reveal(); }
  root.setAttribute('data-ready', '');
  performance.mark('assay-ready');
})();
