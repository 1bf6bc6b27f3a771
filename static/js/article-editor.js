// The article body editor's own extensions, loaded by django-prose-editor's
// "configurable" preset (DJANGO_PROSE_EDITOR_EXTENSIONS in the settings); the
// HTML each one produces is listed for the sanitizer in articles/editor.py.
//
// ImageUpload: the toolbar's Image button, and image files dropped or pasted
//   into the body, upload the file (the server re-encodes it) and insert
//   <figure><img><figcaption> after asking for alt text (required) and a caption.
// DataTable:   the package's table, offering a header row by default.
// Callout:     a boxed note, <div class="callout"> holding paragraphs.
// SpellCheck:  the browser's spellchecker, which the package turns off.
import {
  crel,
  Extension,
  gettext,
  mergeAttributes,
  Node,
  Plugin,
  Table,
  updateAttrsDialog,
} from "django-prose-editor/editor"

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"]

const imageFiles = (files) =>
  Array.from(files || []).filter((file) => IMAGE_TYPES.includes(file.type))

let dialogCount = 0

const field = (label, input, help = null) => {
  const children = [crel("label", { htmlFor: input.id, textContent: label }), input]
  if (help) {
    const helpId = `${input.id}-help`
    input.setAttribute("aria-describedby", helpId)
    children.push(crel("span", { id: helpId, className: "prose-editor-help", textContent: help }))
  }
  return crel("div", { className: "prose-editor-dialog-field" }, children)
}

const csrfToken = (editor) =>
  editor.view.dom.closest("form")?.querySelector("input[name=csrfmiddlewaretoken]")?.value || ""

async function uploadImage(url, file, token) {
  const body = new FormData()
  body.append("image", file, file.name || "image")
  let response
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
    })
  } catch {
    throw new Error(gettext("The upload did not reach the server. Check the connection and try again."))
  }
  let answer = {}
  try {
    answer = await response.json()
  } catch {
    // not JSON: the status says enough
  }
  if (!response.ok || !answer.src) {
    throw new Error(answer.error || `${gettext("The upload failed")} (${response.status}).`)
  }
  return answer
}

/**
 * Ask for the file (unless one was dropped or pasted), the alt text and an
 * optional caption; upload on submit. Resolves to the figure's attributes,
 * or null when the editor cancels.
 */
function imageDialog(editor, { uploadUrl, file = null }) {
  return new Promise((resolve) => {
    const prefix = `vivold-image-${++dialogCount}`
    const fileInput = crel("input", {
      id: `${prefix}-file`,
      name: "file",
      type: "file",
      accept: IMAGE_TYPES.join(","),
      required: !file,
    })
    const altInput = crel("input", {
      id: `${prefix}-alt`,
      name: "alt",
      type: "text",
      required: true,
      maxLength: 250,
      size: 50,
    })
    const captionInput = crel("input", {
      id: `${prefix}-caption`,
      name: "caption",
      type: "text",
      size: 50,
    })
    const status = crel("p", { className: "vivold-image-dialog__status", role: "status" })
    const submit = crel("button", { type: "submit", textContent: gettext("Upload and insert") })
    const cancel = crel("button", { type: "button", textContent: gettext("Cancel") })

    const fields = [crel("h3", { className: "prose-editor-dialog-title", textContent: gettext("Insert an image") })]
    if (file) {
      const preview = crel("img", { className: "vivold-image-dialog__preview", alt: "" })
      const reader = new FileReader()
      reader.addEventListener("load", () => {
        preview.src = reader.result // a data: URL, which the CSP allows in img-src
      })
      reader.readAsDataURL(file)
      fields.push(
        crel("div", { className: "prose-editor-dialog-field vivold-image-dialog__file" }, [
          preview,
          crel("span", { textContent: file.name || gettext("Pasted image") }),
        ]),
      )
    } else {
      fields.push(field(gettext("Image file"), fileInput, gettext("JPEG, PNG, WebP or GIF; it is re-encoded on upload.")))
    }
    fields.push(
      field(gettext("Alt text"), altInput, gettext("What the image shows, for readers who can't see it. Required.")),
      field(gettext("Caption (optional)"), captionInput),
      status,
      crel("div", { className: "prose-editor-dialog-buttons" }, [submit, cancel]),
    )

    const form = crel("form", { method: "dialog" }, fields)
    const dialog = crel("dialog", { className: "prose-editor-dialog vivold-image-dialog" }, [form])
    const wrapper = crel("div", {}, [dialog])
    let result = null

    cancel.addEventListener("click", () => dialog.close())
    dialog.addEventListener("close", () => {
      wrapper.remove()
      resolve(result)
    })
    form.addEventListener("submit", async (event) => {
      event.preventDefault()
      if (!form.reportValidity()) return
      const chosen = file || fileInput.files[0]
      const alt = altInput.value.trim()
      if (!alt) {
        altInput.setCustomValidity(gettext("Describe the image for readers who can't see it."))
        altInput.reportValidity()
        altInput.setCustomValidity("")
        return
      }
      submit.disabled = true
      status.classList.remove("is-error")
      status.textContent = gettext("Uploading…")
      try {
        const uploaded = await uploadImage(uploadUrl, chosen, csrfToken(editor))
        result = { ...uploaded, alt, caption: captionInput.value.trim() }
        dialog.close()
      } catch (error) {
        status.classList.add("is-error")
        status.textContent = error.message
        submit.disabled = false
      }
    })

    editor.view.dom.parentElement.append(wrapper)
    dialog.showModal()
    ;(file ? altInput : fileInput).focus()
  })
}

const figureContent = ({ src, width, height, alt, caption }) => {
  const content = [{ type: "image", attrs: { src, alt, width, height } }]
  if (caption) content.push({ type: "caption", content: [{ type: "text", text: caption }] })
  return { type: "figure", content }
}

// A figure is a block of the body: dropped inside a paragraph, a list or a
// figure, it goes after that top-level block rather than splitting it.
const blockBoundary = (doc, pos) => {
  const $pos = doc.resolve(pos)
  return $pos.depth === 0 ? pos : $pos.after(1)
}

// A short note under the editor, read out by screen readers, gone after a while.
const editorMessage = (view, text) => {
  const holder = view.dom.closest(".prose-editor") || view.dom.parentElement
  let message = holder.querySelector(".vivold-editor-message")
  if (!message) {
    message = crel("p", { className: "vivold-editor-message", role: "alert" })
    holder.append(message)
  }
  message.textContent = text
  clearTimeout(message.hideTimer)
  message.hideTimer = setTimeout(() => {
    message.textContent = ""
  }, 8000)
}

const imageSelected = (editor) => editor.isActive("figure") || editor.isActive("image")

export const ImageUpload = Extension.create({
  name: "imageUpload",

  addOptions() {
    return { uploadUrl: null }
  },

  addCommands() {
    return {
      /** Upload images (asking for each one's alt text) and insert them as figures at `position`. */
      uploadImages:
        ({ files = [null], position = null } = {}) =>
        ({ editor }) => {
          const run = async () => {
            let at = position
            for (const file of files) {
              const figure = await imageDialog(editor, { uploadUrl: this.options.uploadUrl, file })
              if (!figure) return
              const chain = editor.chain().focus()
              if (at == null) {
                chain.insertContent(figureContent(figure)).run()
              } else {
                chain.insertContentAt(at, figureContent(figure)).run()
                at = editor.state.selection.to
              }
            }
          }
          run()
          return true
        },
    }
  },

  addMenuItems({ buttons, menu }) {
    // Replaces the package's "figure" button (a dialog asking for an address):
    // editors upload; an image already in the body keeps the package's dialog
    // for changing its alt text.
    menu.defineItem({
      name: "figure",
      groups: "nodes",
      command: (editor) => {
        if (imageSelected(editor)) editor.chain().focus().editImage().run()
        else editor.commands.uploadImages()
      },
      button: buttons.material("image", gettext("Image: upload a chart or photo")),
      option: crel("p", { textContent: gettext("Image") }),
      active: (editor) => imageSelected(editor),
      enabled: (editor) => editor.isEditable,
    })
  },

  addProseMirrorPlugins() {
    const editor = this.editor
    return [
      new Plugin({
        props: {
          handleDrop(view, event, _slice, moved) {
            if (moved) return false // a figure dragged within the body
            const dropped = event.dataTransfer?.files || []
            const files = imageFiles(dropped)
            if (!files.length) {
              if (!dropped.length) return false // text or HTML: the editor's own drop
              // Any other file would make the browser leave the form to show it.
              event.preventDefault()
              editorMessage(view, gettext("Only JPEG, PNG, WebP or GIF images can be dropped into the body."))
              return true
            }
            event.preventDefault()
            const at = view.posAtCoords({ left: event.clientX, top: event.clientY })?.pos
            editor.commands.uploadImages({ files, position: at == null ? null : blockBoundary(view.state.doc, at) })
            return true
          },
          handlePaste(_view, event) {
            const data = event.clipboardData
            // Spreadsheets put a picture of the cells beside the table: keep the table.
            if (!data || /<table[\s>]/i.test(data.getData("text/html"))) return false
            const files = imageFiles(data.files)
            if (!files.length) return false
            event.preventDefault()
            editor.commands.uploadImages({ files })
            return true
          },
        },
      }),
    ]
  },
})

const tableDialog = updateAttrsDialog(
  {
    rows: { type: "number", title: gettext("Rows"), format: "number", default: "3", min: "2", max: "100" },
    cols: { type: "number", title: gettext("Columns"), format: "number", default: "3", min: "1", max: "20" },
    withHeaderRow: { title: gettext("First row holds the column headings"), enum: ["Yes", "No"], default: "Yes" },
  },
  { title: gettext("Insert a table"), submitText: gettext("Insert table") },
)

export const DataTable = Table.extend({
  addCommands() {
    return {
      ...this.parent?.(),
      insertTableWithOptions:
        () =>
        ({ editor }) => {
          tableDialog(editor, { rows: "3", cols: "3", withHeaderRow: "Yes" }).then((attrs) => {
            if (!attrs) return
            editor
              .chain()
              .focus()
              .insertTable({
                rows: Number.parseInt(attrs.rows, 10) || 3,
                cols: Number.parseInt(attrs.cols, 10) || 3,
                withHeaderRow: attrs.withHeaderRow === "Yes",
              })
              .run()
          })
          return true
        },
    }
  },
})

export const Callout = Node.create({
  name: "callout",
  group: "block",
  content: "paragraph+",
  defining: true,

  parseHTML() {
    return [{ tag: "div.callout" }]
  },

  renderHTML({ HTMLAttributes }) {
    return ["div", mergeAttributes(HTMLAttributes, { class: "callout" }), 0]
  },

  addCommands() {
    return {
      toggleCallout:
        () =>
        ({ commands }) =>
          commands.toggleWrap(this.name),
    }
  },

  addMenuItems({ buttons, menu }) {
    menu.defineItem({
      name: "callout",
      groups: "nodes",
      command: (editor) => editor.chain().focus().toggleCallout().run(),
      button: buttons.material("info", gettext("Callout: a boxed note")),
      option: crel("p", { textContent: gettext("Callout") }),
      active: (editor) => editor.isActive("callout"),
      enabled: (editor) => editor.can().toggleCallout(),
    })
  },
})

export const SpellCheck = Extension.create({
  name: "spellCheck",

  addProseMirrorPlugins() {
    return [new Plugin({ props: { attributes: { spellcheck: "true", lang: "en-GB" } } })]
  },
})
