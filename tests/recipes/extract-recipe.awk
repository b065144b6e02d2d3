# Writes the blocks of one recipe of docs/recipes.md into files, so that the
# test runs exactly what the document shows. A block belongs to a recipe by
# its fence's info string, ```sh recipe:NAME:ROLE (```text for "expect");
# Markdown renderers use only the first word (the language) and hide the
# rest. The Nth block of a role goes to DIR/ROLE-N.
# Usage: awk -v recipe=NAME -v dir=DIR -f extract-recipe.awk docs/recipes.md
/^```[a-z]+ recipe:/ {
  split($2, tag, ":")
  if (tag[2] == recipe) {
    count[tag[3]]++
    out = dir "/" tag[3] "-" count[tag[3]]
    printf "" > out
  }
  next
}
/^```/ && out != "" { close(out); out = ""; next }
out != "" { print > out }
