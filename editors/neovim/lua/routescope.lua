-- Routescope's language server for Neovim's built-in LSP client (Neovim 0.7 and later).
--
--   require("routescope").setup()                                    -- `routescope lsp` on PATH
--   require("routescope").setup({ settings = { namespace = "shop", complete = true } })
--
-- One server per Neovim serves every YAML buffer: the workspace (the directory holding `.git`
-- above the first YAML file opened, else the current directory) is analysed as one mesh, and
-- files without Istio or Gateway API resources get nothing, so attaching to all YAML is safe.
local M = {}

local function workspace_root(file)
  local git = vim.fn.finddir(".git", vim.fn.fnamemodify(file, ":p:h") .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return vim.fn.getcwd()
end

function M.setup(opts)
  opts = opts or {}
  local client_id
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "yaml",
    group = vim.api.nvim_create_augroup("routescope", { clear = true }),
    callback = function(args)
      if not client_id then
        local root = workspace_root(vim.api.nvim_buf_get_name(args.buf))
        client_id = vim.lsp.start_client({
          name = "routescope",
          cmd = opts.cmd or { "routescope", "lsp" },
          root_dir = root,
          -- The CLI's mesh flags: namespace, rootNamespace, autoMtls, mtls, complete.
          init_options = opts.settings or {},
          settings = { routescope = opts.settings or {} },
        })
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end

return M
