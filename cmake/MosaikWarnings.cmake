# Strict warnings for mosaik's own targets (not for consumers of the installed package).
function(mosaik_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
