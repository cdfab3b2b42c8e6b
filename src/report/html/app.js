// Filters and sorts the findings table. Without this script every row is shown.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  var form = document.getElementById('filters');
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ['severity', 'rule', 'account', 'status'];

  // The filter state lives in the URL fragment: report.html#rule=ECS.2&severity=high&q=eni
  function readFragment() {
    var params = new URLSearchParams(location.hash.slice(1));
    ['q'].concat(keys).forEach(function (name) {
      form.elements[name].value = params.get(name) || '';
    });
  }

  function writeFragment() {
    var params = new URLSearchParams();
    ['q'].concat(keys).forEach(function (name) {
      var value = form.elements[name].value;
      if (value) { params.set(name, value); }
    });
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

  function sortBy(column) {
    var descending = table.dataset.sorted === String(column);
    table.dataset.sorted = descending ? '' : String(column);
    var value = function (row) {
      var cell = row.cells[column];
      return cell.dataset.sort || cell.textContent.trim();
    };
    rows.sort(function (a, b) {
      var order = value(a).localeCompare(value(b), undefined, { numeric: true });
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.querySelectorAll('button'), function (button) {
    button.addEventListener('click', function () { sortBy(Number(button.dataset.column)); });
  });
  form.addEventListener('input', function () { apply(); writeFragment(); });
  window.addEventListener('hashchange', function () { readFragment(); apply(); });
  form.hidden = false;
  readFragment();
  apply();
}());
