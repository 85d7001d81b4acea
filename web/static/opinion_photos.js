// Photos chosen on the opinion form are made small on the phone (at most 1280 px, JPEG) before they are
// sent, so that three photos fit the server's 1 MB limit on a slow mobile network.
(function () {
  var form = document.querySelector("form[data-photos]");
  if (!form || !window.FormData || !window.HTMLCanvasElement) return;
  var input = form.querySelector("input[type=file][name=photo]");
  function shrink(file) {
    return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1280 / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.8);
      };
      img.onerror = function () { resolve(file); };
      img.src = URL.createObjectURL(file);
    });
  }
  form.addEventListener("submit", function (event) {
    if (!input || !input.files || !input.files.length) return;
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files, 0, 3);
    Promise.all(files.map(shrink)).then(function (blobs) {
      var data = new FormData(form);
      data.delete("photo");
      blobs.forEach(function (blob, i) { data.append("photo", blob, "photo" + i + ".jpg"); });
      return fetch(form.action, {method: "POST", body: data, credentials: "same-origin"});
    }).then(function (response) {
      if (response.redirected) { window.location = response.url; return; }
      return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () { form.submit(); });
  });
})();
