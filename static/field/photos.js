// Photos shrunk on the phone before they wait in the outbox and go up: at most config.photoMaxSide pixels
// on the long side (the server's ISSUE_PHOTO_MAX_SIDE_PX), as JPEG. The original's EXIF (APP1) segment is
// spliced back into the smaller JPEG, its orientation set to "as stored" (the canvas drew it upright), so
// the server can read where the photo was taken before it strips the metadata, as it does for any upload.
(function (root) {
  "use strict";
  var QUALITY = 0.85;

  function readBytes(blob) {
    if (blob.arrayBuffer) return blob.arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(new Uint8Array(reader.result)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(blob);
    });
  }

  // The APP1 "Exif" segment of a JPEG (marker and length included), or null.
  function exifSegment(bytes) {
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
    var offset = 2;
    while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
      var marker = bytes[offset + 1];
      if (marker === 0xda || marker === 0xd9) break; // the image data: no more metadata
      var length = (bytes[offset + 2] << 8) | bytes[offset + 3];
      if (marker === 0xe1 && bytes[offset + 4] === 0x45 && bytes[offset + 5] === 0x78 && bytes[offset + 6] === 0x69 &&
          bytes[offset + 7] === 0x66 && bytes[offset + 8] === 0 && bytes[offset + 9] === 0) {
        return bytes.slice(offset, offset + 2 + length);
      }
      offset += 2 + length;
    }
    return null;
  }

  // Orientation (tag 0x0112 of IFD0) set to 1 in a copy of the segment: the pixels are upright now.
  function uprightOrientation(segment) {
    var tiff = 10; // FF E1, length (2), "Exif\0\0"
    var little = segment[tiff] === 0x49;
    function u16(at) { return little ? segment[at] | (segment[at + 1] << 8) : (segment[at] << 8) | segment[at + 1]; }
    function u32(at) {
      return little ? (segment[at] | (segment[at + 1] << 8) | (segment[at + 2] << 16) | (segment[at + 3] << 24)) >>> 0
        : ((segment[at] << 24) | (segment[at + 1] << 16) | (segment[at + 2] << 8) | segment[at + 3]) >>> 0;
    }
    var ifd = tiff + u32(tiff + 4);
    if (ifd + 2 > segment.length) return segment;
    var count = u16(ifd);
    for (var entry = 0; entry < count; entry++) {
      var at = ifd + 2 + entry * 12;
      if (at + 12 > segment.length) break;
      if (u16(at) === 0x0112) {
        if (little) { segment[at + 8] = 1; segment[at + 9] = 0; } else { segment[at + 8] = 0; segment[at + 9] = 1; }
        break;
      }
    }
    return segment;
  }

  // The canvas's JPEG with the EXIF segment put right after its SOI (and its JFIF APP0, if any).
  function splice(jpeg, segment) {
    var at = 2;
    if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
    var joined = new Uint8Array(jpeg.length + segment.length);
    joined.set(jpeg.subarray(0, at), 0);
    joined.set(segment, at);
    joined.set(jpeg.subarray(at), at + segment.length);
    return joined;
  }

  function decode(file) {
    if (root.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return imageElement(file); });
    }
    return imageElement(file);
  }

  function imageElement(file) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      var url = URL.createObjectURL(file);
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });
  }

  function jpegName(name) {
    return (name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
  }

  // Resolves with {blob, filename}: the photo shrunk to maxSide (a JPEG within the limit is kept as it is;
  // a file the browser cannot draw goes as it is, for the server to judge).
  function shrink(file, maxSide) {
    return decode(file).then(function (image) {
      var width = image.width, height = image.height;
      var scale = Math.min(1, maxSide / Math.max(width, height));
      if (scale === 1 && file.type === "image/jpeg") return { blob: file, filename: file.name || "photo.jpg" };
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); }).then(function (small) {
        if (!small) return { blob: file, filename: file.name || "photo" };
        return Promise.all([readBytes(file), readBytes(small)]).then(function (both) {
          var segment = exifSegment(both[0]);
          var blob = segment ? new Blob([splice(both[1], uprightOrientation(segment))], { type: "image/jpeg" }) : small;
          return { blob: blob, filename: jpegName(file.name) };
        });
      });
    }, function () { return { blob: file, filename: file.name || "photo" }; });
  }

  root.FieldPhotos = { shrink: shrink, exifSegment: exifSegment, splice: splice };
})(window);
