#include <iostream>

#include "tanectl.h"

int main(int argc, char** argv) { return tane::tanectl::Run(argc, argv, std::cout, std::cerr); }
