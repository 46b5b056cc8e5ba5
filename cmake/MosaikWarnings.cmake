# Strict warnings for mosaik's own targets (not for consumers of the installed package).
function(mosaik_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers
    # g++ 12 reports Asio's own coroutine-frame operator new/delete pair as mismatched once
    # inlining sees both (a false positive: awaitable_frame_base defines both).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
endfunction()
