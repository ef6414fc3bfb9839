// Names the real cause of a failed native build from what cmake-js, CMake and the compiler
// printed, so the user reads "CMake is not installed" instead of a generic hint. Each rule quotes
// the tool's own words; the first that matches wins, in the order the tools run.
const RULES = [
  {
    test: /CMake executable is not found/,
    cause: () => 'CMake is not installed (or not on PATH)',
    fix: 'install CMake >= 3.19 (apt install cmake, dnf install cmake, brew install cmake or pip install cmake)',
  },
  {
    test: /C\+\+ Compiler toolset is not available|No CMAKE_CXX_COMPILER could be found|CMAKE_CXX_COMPILER:\s*\n?\s*\S+\s*\n?\s*is not a full path to an existing compiler/,
    cause: () => 'no C++ compiler was found',
    fix: 'install a C++17 compiler (apt install g++, dnf install gcc-c++, xcode-select --install) or set CXX to one',
  },
  {
    test: /CMake (\d+\.\d+(?:\.\d+)?) or higher is required\.\s+You are running version (\S+)/,
    cause: (m) => `CMake ${m[2]} is too old: the build needs ${m[1]} or newer`,
    fix: 'install a newer CMake (pip install cmake gives the latest)',
  },
  {
    // CMake's words for include() and add_library()/add_executable() sources.
    test: /(?:include could not find requested file|Cannot find source file):\s*(\S+)/,
    cause: (m) => `a file the build needs is missing: ${m[1]}`,
    fix: 'the package is incomplete: reinstall it (npm install sam3clip), or restore the file in a checkout',
  },
  {
    test: /fatal error: (\S+?): No such file or directory/,
    cause: (m) => `a header the build needs is missing: ${m[1]}`,
    fix: 'the package is incomplete (reinstall it), or a library it builds against is not installed',
  },
  {
    test: /CMAKE_MAKE_PROGRAM is not set|Could not find (?:Ninja|make)|No such build tool/i,
    cause: () => 'no build tool (make or ninja) was found',
    fix: 'install make (apt install make) or ninja',
  },
  {
    test: /is not able to compile a simple test program/,
    cause: () => 'the C++ compiler is installed but cannot build a program (missing standard library or linker?)',
    fix: 'check the compiler installation (apt install build-essential)',
  },
  {
    test: /^(\S+?):(\d+):(?:\d+:)? (?:fatal )?error: (.+)$/m,
    cause: (m) => `the compiler stopped at ${m[1]}:${m[2]}: ${m[3]}`,
    fix: 'a C++17 compiler is needed (g++ >= 9, clang >= 10, MSVC 2019+); if yours is one, please report this',
  },
  {
    test: /undefined reference to [`'](\S+)'|cannot find -l(\S+)/,
    cause: (m) => `linking failed: ${m[1] ? `undefined reference to ${m[1]}` : `library ${m[2]} not found`}`,
    fix: 'check that the libraries named above are installed',
  },
];

/** `{ cause, fix }` for a failed build's output, or null where no rule recognises it. */
export function diagnoseBuildFailure(output) {
  for (const rule of RULES) {
    const match = rule.test.exec(output);
    if (match) return { cause: rule.cause(match), fix: rule.fix };
  }
  return null;
}
