# embed.cmake -- turn a text file into a C source defining a NUL-terminated
# char array. Usage: cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed.cmake
file(READ "${IN}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],){16}" "\\0\n" content "${content}")
file(WRITE "${OUT}" "/* generated from ${IN}; do not edit */\nconst char ${SYMBOL}[] = {\n${content}0x00};\n")
