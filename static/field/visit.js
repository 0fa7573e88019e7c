// The visit door to door: the unit (from the places of the officer's grid), the door, when, who, what was
// raised, and the concerns – each a whistle (filed by the server on the visit channel, linked) or a
// suggestion – sent as one JSON field with the photos (POST /api/v1/field/visits/).
(function () {
  "use strict";
  var app = window.FieldApp;
  var text = app.text;
  var form = document.getElementById("visit-form");
  var rows = document.getElementById("concern-rows");
  var template = document.getElementById("concern-template");
  var when = form.querySelector("[data-visited-at]");
  var unit = form.elements.unit;
  var centre = document.getElementById("centre-household");

  function pad(number) { return String(number).padStart(2, "0"); }
  function localNow() {
    var now = new Date();
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) + "T" + pad(now.getHours()) +
      ":" + pad(now.getMinutes());
  }
  // The phone's local time as ISO 8601 with its offset: the server keeps the moment, whatever the zone.
  function isoWithOffset(local) {
    var moment = local ? new Date(local) : new Date();
    var offset = -moment.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()) + "T" +
      pad(moment.getHours()) + ":" + pad(moment.getMinutes()) + ":" + pad(moment.getSeconds()) + sign +
      pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }
  when.value = localNow();

  function showCentre() {
    var option = unit.options[unit.selectedIndex];
    centre.textContent = option && option.dataset.centre ? option.dataset.centre : "";
  }
  unit.addEventListener("change", showCentre);
  showCentre();

  function addConcern(concern) {
    var row = template.content.firstElementChild.cloneNode(true);
    var category = row.querySelector("select:not([data-concern-kind])");
    category.dataset.concernCategory = "";
    category.setAttribute("aria-label", category.options[0].textContent);
    if (concern) {
      row.querySelector("[data-concern-kind]").value = concern.kind;
      category.value = concern.category || "";
      row.querySelector("[data-concern-text]").value = concern.text;
    }
    row.querySelector("[data-concern-remove]").addEventListener("click", function () { row.remove(); });
    rows.append(row);
    return row;
  }
  document.getElementById("add-concern").addEventListener("click", function () {
    addConcern().querySelector("[data-concern-text]").focus();
  });

  function concerns() {
    return Array.prototype.map.call(rows.querySelectorAll("[data-concern]"), function (row) {
      var concern = { kind: row.querySelector("[data-concern-kind]").value,
                      text: row.querySelector("[data-concern-text]").value.trim() };
      var category = row.querySelector("[data-concern-category]").value;
      if (category) concern.category = category;
      return concern;
    }).filter(function (concern) { return concern.text; });
  }

  function value(fields, name) {
    var pair = fields.filter(function (field) { return field[0] === name; })[0];
    return pair ? pair[1] : "";
  }

  app.bindForm(form, {
    kind: "visit",
    url: app.config.createUrl,
    label: function (fields) {
      var option = unit.querySelector('option[value="' + value(fields, "unit") + '"]');
      return text.visit + ": " + (option ? option.textContent : "") + " " + value(fields, "room");
    },
    prepare: function (fields) {
      var listed = concerns();
      listed.forEach(function (concern) {
        if (concern.kind === "whistle" && !concern.category) throw new Error(text.needCategory);
      });
      return fields.filter(function (field) { return field[0] !== "concerns" && field[0] !== "visited_at"; })
        .concat([["concerns", JSON.stringify(listed)], ["visited_at", isoWithOffset(when.value)]]);
    },
    filled: function (item) {
      rows.replaceChildren();
      var pair = item.fields.filter(function (field) { return field[0] === "concerns"; })[0];
      JSON.parse(pair ? pair[1] : "[]").forEach(addConcern);
      var at = item.fields.filter(function (field) { return field[0] === "visited_at"; })[0];
      if (at) when.value = at[1].slice(0, 16);
      showCentre();
    },
    done: function () {
      rows.replaceChildren();
      when.value = localNow();
      showCentre();
    },
  });
})();
