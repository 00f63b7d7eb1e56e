-- Drives Neovim's own LSP client as a person would, for tests/neovim.rs: set up Routescope
-- with the repository's editors/neovim config, open the file, wait for its diagnostics, apply
-- the preferred quick fix of the unknown-gateway one on `public`, write the file and quit. Any failure
-- ends Neovim with a non-zero status and says why on standard error.
local function fail(message)
  io.stderr:write("neovim driver: " .. message .. "\n")
  vim.cmd("cquit 1")
end

local ok, err = pcall(function()
  require("routescope").setup({ cmd = { vim.env.ROUTESCOPE_LSP_SERVER } })
  vim.cmd("filetype on")
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.ROUTESCOPE_FILE))
  local buffer = vim.api.nvim_get_current_buf()

  local function lsp_code(diagnostic)
    local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
    return diagnostic.code or lsp.code
  end
  local found
  local arrived = vim.wait(30000, function()
    for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
      if lsp_code(diagnostic) == "unknown-gateway" and diagnostic.message:find("default/public", 1, true) then
        found = diagnostic
        return true
      end
    end
    return false
  end, 50)
  if not arrived then
    return fail("no unknown-gateway diagnostic for default/public arrived; got " .. vim.inspect(vim.diagnostic.get(buffer)))
  end
  io.stderr:write("neovim driver: diagnostic " .. found.message .. "\n")

  vim.api.nvim_win_set_cursor(0, { found.lnum + 1, found.col })
  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {}, only = { "quickfix" } }
  local responses = vim.lsp.buf_request_sync(buffer, "textDocument/codeAction", params, 30000)
  local chosen, client_id
  for id, response in pairs(responses or {}) do
    for _, action in ipairs(response.result or {}) do
      if action.isPreferred then
        chosen, client_id = action, id
      end
    end
  end
  if not chosen then
    return fail("no preferred quick fix in " .. vim.inspect(responses))
  end
  io.stderr:write("neovim driver: applying " .. chosen.title .. "\n")
  local client = vim.lsp.get_client_by_id(client_id)
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  vim.cmd("write")
  vim.cmd("qall!")
end)
if not ok then
  fail(tostring(err))
end
