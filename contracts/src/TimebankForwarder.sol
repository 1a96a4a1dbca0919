// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title TimebankForwarder: relays requests signed by members' and operators' own wallets
/// @notice OpenZeppelin's ERC-2771 forwarder under the EIP-712 domain "TimebankForwarder".
/// A gateway relays and pays gas; each target contract sees the signer as the caller. Requests
/// carry a per-signer nonce and a deadline, so a relayed request can't be replayed.
contract TimebankForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("TimebankForwarder") {}
}
