// t3n — the T3N command-line client.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"t3n — client for T3N nodes"};
  app.set_version_flag("--version", std::string("t3n ") + T3N_VERSION);
  CLI11_PARSE(app, argc, argv);
  std::printf("%s", app.help().c_str());
  return 0;
}
