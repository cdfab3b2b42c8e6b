// Filters and sorts the findings table. Without this script every row is shown.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  var form = document.getElementById('filters');
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ['severity', 'rule', 'account', 'status'];

  // The filter and sort state live in the URL fragment:
  // report.html#rule=ECS.2&severity=high&q=eni&sort=-0 (column 0, descending).
  var sorted = '';

  function readFragment() {
    var params = new URLSearchParams(location.hash.slice(1));
    ['q'].concat(keys).forEach(function (name) {
      form.elements[name].value = params.get(name) || '';
    });
    var sort = params.get('sort') || '';
    if (/^-?[0-9]+$/.test(sort) && sort !== sorted) { sortBy(sort); }
  }

  function writeFragment() {
    var params = new URLSearchParams();
    ['q'].concat(keys).forEach(function (name) {
      var value = form.elements[name].value;
      if (value) { params.set(name, value); }
    });
    if (sorted) { params.set('sort', sorted); }
    history.replaceState(null, '', '#' + params.toString());
  }

  function apply() {
    var text = form.elements.q.value.toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var keep = (!text || row.textContent.toLowerCase().indexOf(text) >= 0) &&
        keys.every(function (key) {
          var wanted = form.elements[key].value;
          return !wanted || row.dataset[key] === wanted;
        });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' shown';
  }

  // Sorts by column N ("N", ascending) or ("-N", descending); rows keep their order on ties.
  function sortBy(spec) {
    var descending = spec.charAt(0) === '-';
    var column = Number(descending ? spec.slice(1) : spec);
    var value = function (row) {
      var cell = row.cells[column];
      return cell ? (cell.dataset.sort || cell.textContent.trim()) : '';
    };
    rows.sort(function (a, b) {
      var order = value(a).localeCompare(value(b), undefined, { numeric: true });
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    sorted = spec;
  }

  Array.prototype.forEach.call(table.tHead.querySelectorAll('button'), function (button) {
    button.addEventListener('click', function () {
      var column = button.dataset.column;
      sortBy(sorted === column ? '-' + column : column);
      writeFragment();
    });
  });
  form.addEventListener('input', function () { apply(); writeFragment(); });
  window.addEventListener('hashchange', function () { readFragment(); apply(); });
  form.hidden = false;
  readFragment();
  apply();
}());
