// Overloaded{lambdas...}: one visitor out of several lambdas, for std::visit over op variants.
#pragma once

namespace mipp::util {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace mipp::util
