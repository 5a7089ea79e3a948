"""The modules (in this package) that provide the built-in magics. Each has
`register(registry) -> None`; the registry imports them the first time a magic is looked up,
so a kernel that never uses a magic never imports them."""

MODULES = ("cellmagics", "timing", "navigation", "names", "scripts", "profile", "session")
