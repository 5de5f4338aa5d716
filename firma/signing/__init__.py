"""The signer's journey: the steps, the actions, automatic signing and signature images."""
