# Prints the ```c code blocks of a Markdown file, in order, each preceded by
# a #line directive so compiler errors point into the document.
/^```c[ \t]*$/ { inside = 1; printf "#line %d \"%s\"\n", FNR + 1, FILENAME; next }
/^```/ && inside { inside = 0; print ""; next }
inside { print }
