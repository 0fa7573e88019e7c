// One whistle dispatched to me: report for duty (报到) and resolve it with the result and photos (办结),
// both through the issues API and queued in the outbox: the outbox sends them in the order they were made.
(function () {
  "use strict";
  var app = window.FieldApp;
  var config = app.config;
  var respond = document.getElementById("respond-form");
  if (respond) {
    app.bindForm(respond, {
      kind: "respond",
      url: config.respondUrl,
      label: function () { return app.text.respond + ": " + config.number; },
      done: function () { respond.hidden = true; },
    });
  }
  app.bindForm(document.getElementById("resolve-form"), {
    kind: "resolve",
    url: config.resolveUrl,
    label: function () { return app.text.resolve + ": " + config.number; },
  });
})();
