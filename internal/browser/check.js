// Runs in the page once it has loaded and returns (as a promise) what a
// reader meets, for browser.Check to read into Findings: each image,
// decoded or not and its natural size; each link to an id of the page and
// whether that id is there; every src or href that is neither data: nor
// #. (What the page fetched Check sees in the browser's network events.)
(async () => {
  const images = [];
  for (const img of document.images) {
    let decoded = true;
    try {
      await img.decode();
    } catch (e) {
      decoded = false;
    }
    images.push({
      id: img.id,
      alt: img.alt,
      embedded: (img.getAttribute("src") || "").startsWith("data:"),
      decoded: decoded,
      width: img.naturalWidth,
      height: img.naturalHeight,
    });
  }
  const links = [];
  const outside = [];
  for (const el of document.querySelectorAll("[href]")) {
    const href = el.getAttribute("href");
    if (href.startsWith("#")) {
      const id = decodeURIComponent(href.slice(1));
      links.push({ href: href, target: document.getElementById(id) !== null });
    } else {
      outside.push(el.tagName.toLowerCase() + " href=" + href);
    }
  }
  for (const el of document.querySelectorAll("[src]")) {
    const src = el.getAttribute("src");
    if (!src.startsWith("data:")) {
      outside.push(el.tagName.toLowerCase() + " src=" + src);
    }
  }
  return { images: images, links: links, outside: outside };
})()
